"""Delivery by the notifier's dispatcher (notifier/dispatcher.py) against a real PostgreSQL and a
real SMTP server: everything exactly once when SMTP comes back, never twice with two dispatchers,
failures that stay visible (no recipient, refused, attempts exhausted), backoff, the digest hour,
and the leases of a dispatcher that died."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from notifier.dispatcher import Notifier, backoff, next_digest_at
from notifier.mail import message_id_for
from store import notification
from store.directory_entry import set_entry
from store.pool import create_pool
from tests.notifier.factory import (
    MANAGERS,
    PRACTITIONERS,
    Clock,
    all_sent,
    directory,
    eventually,
    queue,
    row,
    settings_for,
    team,
)
from tests.notifier.smtp import REFUSED, SmtpServer

pytestmark = pytest.mark.timeout(60)


async def test_smtp_down_then_up_delivers_everything_exactly_once(
    pool: asyncpg.Pool, database_url: str, smtp: SmtpServer
) -> None:
    await smtp.stop()
    await directory(pool, team("front_door_practitioners", MANAGERS, role="team_manager"))
    ids = [await queue(pool) for _ in range(5)]
    notifier = Notifier(pool, settings_for(database_url, smtp, notify_max_attempts=100))
    stop = asyncio.Event()
    running = asyncio.create_task(notifier.run(stop))
    try:

        async def tried_twice() -> bool:
            async with pool.acquire() as conn:
                fewest = await conn.fetchval("SELECT min(attempts) FROM notification")
            return bool(fewest >= 2)

        await eventually(tried_twice)
        failed = await row(pool, ids[0])
        assert (failed["status"], failed["last_error"]) == ("pending", "SMTPConnectError")
        await smtp.start()
        await eventually(lambda: all_sent(pool))
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)

    assert smtp.message_ids() == Counter({message_id_for(i): 1 for i in ids})


async def test_two_dispatchers_never_send_the_same_notification_twice(
    pool: asyncpg.Pool, database_url: str, smtp: SmtpServer
) -> None:
    await directory(pool, team("front_door_practitioners", MANAGERS, role="team_manager"))
    ids = [await queue(pool) for _ in range(50)]
    smtp.delay = 0.005
    settings = settings_for(database_url, smtp)
    sent: dict[str, int] = {}

    async def dispatcher(name: str) -> None:
        own_pool = await create_pool(database_url, min_size=1, max_size=2)
        notifier = Notifier(own_pool, settings, claimer=name, batch_size=5)
        try:
            while not await all_sent(pool):
                report = await notifier.dispatch_once()
                sent[name] = sent.get(name, 0) + report.sent
                if not report.claimed:
                    await asyncio.sleep(0.01)
        finally:
            await own_pool.close()

    await asyncio.wait_for(asyncio.gather(dispatcher("a"), dispatcher("b")), 30)

    assert smtp.message_ids() == Counter({message_id_for(i): 1 for i in ids})
    assert sent["a"] + sent["b"] == 50 and sent["a"] > 0 and sent["b"] > 0


async def test_no_recipient_fails_visibly_and_is_sent_once_a_mailbox_is_set(
    pool: asyncpg.Pool, database_url: str, smtp: SmtpServer
) -> None:
    # The team has an inbox, but an escalation is for its head of service, who has no entry.
    await directory(pool, team("front_door_practitioners", PRACTITIONERS))
    notification_id = await queue(pool, role="head_of_service")
    notifier = Notifier(pool, settings_for(database_url, smtp))

    report = await notifier.dispatch_once()

    assert (report.failed, smtp.received) == (1, [])
    stored = await row(pool, notification_id)
    assert (stored["status"], stored["failure_reason"]) == ("failed", "no_recipient")
    async with pool.acquire() as conn:
        [listed] = await notification.list_undeliverable(conn)
        head = team("front_door_practitioners", "hos@council.example", role="head_of_service")
        await set_entry(conn, head)
        assert await notification.requeue_no_recipient(conn, head, now=datetime.now(UTC)) == 1
    assert (listed.notification_id, listed.failure_reason) == (notification_id, "no_recipient")

    await notifier.dispatch_once()
    assert [r.recipients for r in smtp.received] == [["hos@council.example"]]


async def test_a_refused_mailbox_fails_at_once(
    pool: asyncpg.Pool, database_url: str, smtp: SmtpServer
) -> None:
    await directory(pool, team("front_door_practitioners", REFUSED, role="team_manager"))
    notification_id = await queue(pool)

    await Notifier(pool, settings_for(database_url, smtp)).dispatch_once()

    stored = await row(pool, notification_id)
    assert (stored["status"], stored["failure_reason"]) == ("failed", "recipient_refused")
    assert stored["last_error"] == "SMTPRecipientsRefused 550"


async def test_retries_back_off_and_end_failed_after_the_last_attempt(
    pool: asyncpg.Pool, database_url: str, smtp: SmtpServer
) -> None:
    await smtp.stop()
    await directory(pool, team("front_door_practitioners", MANAGERS, role="team_manager"))
    notification_id = await queue(pool)
    settings = settings_for(
        database_url,
        smtp,
        notify_max_attempts=3,
        notify_backoff_seconds=30,
        notify_backoff_max_seconds=45,
    )
    clock = Clock()
    notifier = Notifier(pool, settings, clock=clock)
    start = clock.now

    for attempt, wait in ((1, 30), (2, 45)):
        assert (await notifier.dispatch_once()).retried == 1
        stored = await row(pool, notification_id)
        assert (stored["status"], stored["attempts"]) == ("pending", attempt)
        assert stored["next_attempt_at"] == clock.now + timedelta(seconds=wait)
        clock.now += timedelta(seconds=wait - 1)
        assert (await notifier.dispatch_once()).claimed == 0  # not due yet
        clock.now += timedelta(seconds=1)
    assert (await notifier.dispatch_once()).failed == 1

    stored = await row(pool, notification_id)
    assert (stored["status"], stored["attempts"]) == ("failed", 3)
    assert (stored["failure_reason"], stored["last_error"]) == (
        "attempts_exhausted",
        "SMTPConnectError",
    )
    assert clock.now - start == timedelta(seconds=75)
    assert [backoff(settings, n).total_seconds() for n in (1, 2, 3)] == [30, 45, 45]


def test_the_digest_hour_is_uk_time_across_the_clock_change() -> None:
    # 29 March 2026: the clocks go forward; 08:00 UK time is 07:00 UTC from that day on.
    assert next_digest_at(datetime(2026, 3, 28, 9, tzinfo=UTC), 8) == datetime(
        2026, 3, 29, 7, tzinfo=UTC
    )
    assert next_digest_at(datetime(2026, 3, 28, 7, 59, tzinfo=UTC), 8) == datetime(
        2026, 3, 28, 8, tzinfo=UTC
    )


async def test_a_dead_dispatchers_claims_expire_and_end_failed_if_they_keep_dying(
    pool: asyncpg.Pool, database_url: str, smtp: SmtpServer
) -> None:
    await directory(pool, team("front_door_practitioners", MANAGERS, role="team_manager"))
    clock, lease = Clock(), timedelta(minutes=5)
    survivor = Notifier(
        pool, settings_for(database_url, smtp, notify_max_attempts=2), clock=clock, lease=lease
    )
    unlucky = await queue(pool)
    async with pool.acquire() as conn:  # each claim's dispatcher dies before recording anything
        await notification.claim_due(conn, claimer="dead", now=clock.now, lease=lease, limit=10)
        clock.now += lease
        once = await queue(pool)
        await notification.claim_due(conn, claimer="dead", now=clock.now, lease=lease, limit=10)

    assert (await survivor.dispatch_once()).claimed == 0  # the leases still hold
    clock.now += lease
    report = await survivor.dispatch_once()

    assert (report.sent, report.failed) == (1, 1)
    assert smtp.message_ids() == Counter({message_id_for(once): 1})
    sent, failed = await row(pool, once), await row(pool, unlucky)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert (failed["status"], failed["failure_reason"], failed["last_error"]) == (
        "failed",
        "attempts_exhausted",
        "LeaseExpired",
    )
