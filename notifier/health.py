"""The notifier's probes and metrics (names in docs/operations.md): how deep and how late the
outbox is, how many tasks are overdue and for how long, and whether the dispatcher's rounds are
still going through. Gauges are refreshed from PostgreSQL every poll interval, not on scrape, so
a scrape never waits on the database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from prometheus_client import CollectorRegistry, Gauge

from core.logs import get_logger
from core.probes import ProbeServer, ReadinessCheck
from core.settings import Settings
from store.notification import outbox_health
from store.task import overdue_tasks

log = get_logger(__name__)
LastRound = Callable[[], datetime | None]


class NotifierMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.outbox_pending = Gauge(
            "frontdoor_outbox_pending", "notifications not yet sent (due or waiting)", registry=r
        )
        self.outbox_due = Gauge(
            "frontdoor_outbox_due", "pending notifications whose send time has come", registry=r
        )
        self.outbox_oldest_due = Gauge(
            "frontdoor_outbox_oldest_due_seconds",
            "how long the oldest due notification has waited (0: none due)",
            registry=r,
        )
        self.outbox_failed = Gauge(
            "frontdoor_outbox_failed", "notifications that failed for good", registry=r
        )
        self.tasks_overdue = Gauge(
            "frontdoor_tasks_overdue", "open tasks past their due time", registry=r
        )
        self.task_oldest_overdue = Gauge(
            "frontdoor_task_oldest_overdue_seconds",
            "how long the most overdue open task has been overdue (0: none)",
            registry=r,
        )
        self.last_round = Gauge(
            "frontdoor_notifier_last_round_timestamp_seconds",
            "when the dispatcher last finished a round (Unix time)",
            registry=r,
        )

    async def refresh(self, pool: asyncpg.Pool, *, now: datetime) -> None:
        async with pool.acquire() as conn:
            outbox = await outbox_health(conn, now=now)
            overdue = await overdue_tasks(conn, now=now)
        self.outbox_pending.set(outbox.pending)
        self.outbox_due.set(outbox.due)
        self.outbox_oldest_due.set(outbox.oldest_due_seconds)
        self.outbox_failed.set(outbox.failed)
        self.tasks_overdue.set(overdue.count)
        self.task_oldest_overdue.set(overdue.oldest_seconds)


def notifier_readiness(
    last_round: LastRound, *, poll_seconds: float, now: Callable[[], datetime]
) -> ReadinessCheck:
    """Ready while the dispatcher's rounds go through: the last one finished within three poll
    intervals (and at least 30 s, for a round sending a large batch)."""
    allowed = timedelta(seconds=max(3 * poll_seconds, 30.0))

    async def ready() -> str | None:
        at = last_round()
        if at is None:
            return "no dispatch round has finished yet"
        if now() - at > allowed:
            return f"no dispatch round has finished since {at.isoformat()} (PostgreSQL away?)"
        return None

    return ready


def _now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def notifier_probes(
    pool: asyncpg.Pool, settings: Settings, last_round: LastRound, stop: asyncio.Event
) -> AsyncIterator[None]:
    """Serve the notifier's probes and metrics on FRONTDOOR_NOTIFIER_PROBE_PORT (0: none) while
    open, refreshing the gauges every poll interval."""
    if not settings.notifier_probe_port:
        yield
        return
    metrics = NotifierMetrics()
    ready = notifier_readiness(last_round, poll_seconds=settings.notify_poll_seconds, now=_now)
    server = ProbeServer(
        settings.probe_host, settings.notifier_probe_port, ready=ready, registry=metrics.registry
    )

    async def watch() -> None:
        while not stop.is_set():
            try:
                await metrics.refresh(pool, now=_now())
                at = last_round()
                if at is not None:
                    metrics.last_round.set(at.timestamp())
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                log.warning("notifier_metrics_failed", error=type(err).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.notify_poll_seconds)

    async with server.serving():
        watching = asyncio.create_task(watch())
        try:
            yield
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
