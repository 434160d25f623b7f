"""The notifier: delivers the notification outbox by email, at least once and never silently not.

Each round claims due rows (store/notification.py, a lease taken with `FOR UPDATE SKIP LOCKED`,
so any number of notifiers can run side by side), finds each row's mailbox in the directory
(store/directory_entry.py), and sends one email per row (notifier/mail.py) over SMTP with
`aiosmtplib`, with no transaction open while it talks to the server. Then it records the outcome:

- sent: `status='sent'`, `sent_at`, and the Message-ID it went out under;
- no directory entry: `failed` with reason `no_recipient`, for the dashboard; never dropped;
- a permanent refusal of the mailbox (5xx to RCPT): `failed` with reason `recipient_refused`;
- anything else (server down, timeout, 4xx): retried after an exponential backoff, and `failed`
  with reason `attempts_exhausted` after `notify_max_attempts` attempts;
- a mailbox that reads a daily digest: the row is parked until the next digest hour, when one
  email per mailbox gathers every parked row and each row is marked sent with its Message-ID.

`Notifier` uses the pool it is given and never closes it; `run_notifier` owns the pool of the
`frontdoor notifier` process. Logs carry ids, kinds and counts: never payloads or mailboxes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

import aiosmtplib
import asyncpg

from core.logs import get_logger
from core.settings import Settings, SmtpTls
from domain.calendar import LONDON
from notifier.health import notifier_probes
from notifier.mail import (
    build_digest,
    build_message,
    digest_message_id,
    message_id_for,
)
from store import notification
from store.directory_entry import Directory
from store.notification import Notification
from store.pool import create_pool

log = get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def next_digest_at(now: datetime, hour: int) -> datetime:
    """The next digest instant strictly after `now`: `hour`:00 UK time today, else tomorrow."""
    local = now.astimezone(LONDON)
    today = datetime.combine(local.date(), time(hour), tzinfo=LONDON)
    if today > now:
        return today.astimezone(UTC)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=LONDON)
    return tomorrow.astimezone(UTC)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling from the base, capped."""
    seconds = settings.notify_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.notify_backoff_max_seconds))


@dataclass(frozen=True)
class SendFailure:
    """Why a send failed, as stored in `last_error`: the error class and SMTP codes only."""

    error: str
    permanent: bool = False


@dataclass
class DispatchReport:
    """What one round did, for logs and tests."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    parked: int = 0
    released: int = 0
    digests: int = 0


def describe_failure(err: Exception) -> SendFailure:
    """The class and SMTP code of a send error; server text may quote addresses, so it is left
    out. Only a 5xx refusal of every recipient is permanent: retrying will not change it."""
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        codes = sorted({r.code for r in err.recipients})
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return SendFailure(f"{type(err).__name__} {','.join(map(str, codes))}", permanent)
    if isinstance(err, aiosmtplib.SMTPResponseException):
        return SendFailure(f"{type(err).__name__} {err.code}")
    return SendFailure(type(err).__name__)


class Notifier:
    """One dispatcher over the outbox, on a pool its caller owns."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        *,
        claimer: str | None = None,
        clock: Clock = utc_now,
        batch_size: int = 50,
        lease: timedelta = timedelta(minutes=5),
        smtp_timeout: float = 30.0,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self.claimer = claimer or f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self._batch_size = batch_size
        self._lease = lease
        self._smtp_timeout = smtp_timeout
        # Stop sending from a claim while there is still time to record the outcome before the
        # lease runs out; otherwise another notifier could take and send the row as well.
        self._lease_margin = min(timedelta(seconds=2 * smtp_timeout), lease / 2)
        self.last_round_at: datetime | None = None  # when a round last went through (probes)

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch rounds until `stop` is set; a failed round (database or network away) is
        logged and the next one tries again."""
        log.info("notifier_started", claimer=self.claimer)
        while not stop.is_set():
            busy = False
            try:
                report = await self.dispatch_once(stop)
                busy = report.claimed >= self._batch_size
                self.last_round_at = self._clock()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                log.warning("notifier_round_failed", error=type(err).__name__)
            except Exception:
                # A bug must not stop every notification: the rows it held come back when their
                # lease ends, each claim counts an attempt, and a row claimed more often than
                # attempts allow is failed (`_fail_abandoned`) rather than crash us for ever.
                log.exception("notifier_round_crashed")
            if busy:
                continue  # more rows are due: no pause
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.notify_poll_seconds)
        log.info("notifier_stopped", claimer=self.claimer)

    async def dispatch_once(self, stop: asyncio.Event | None = None) -> DispatchReport:
        """One round: deliver the due rows (a batch), then any digests that are due."""
        report = DispatchReport()
        await self._deliver_due(report, stop)
        await self._deliver_digests(report, stop)
        if report.claimed:
            log.info("notifier_round", **vars(report))
        return report

    async def _deliver_due(self, report: DispatchReport, stop: asyncio.Event | None) -> None:
        now = self._clock()
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                claimed = await notification.claim_due(
                    conn, claimer=self.claimer, now=now, lease=self._lease, limit=self._batch_size
                )
            if not claimed:
                return
            directory = await Directory.load(conn)
        report.claimed += len(claimed)
        send_by = now + self._lease - self._lease_margin
        for index, row in enumerate(claimed):
            if self._clock() >= send_by or (stop is not None and stop.is_set()):
                await self._release(claimed[index:], report)
                return
            entry = directory.resolve(row.recipient_team, row.recipient_role)
            if row.attempts > self._settings.notify_max_attempts:
                await self._fail_abandoned([row], report)
            elif entry is None:
                await self._fail_no_recipient(row, report)
            elif entry.digest:
                await self._park(row, entry.mailbox, report)
            else:
                message = build_message(
                    row,
                    sender=self._settings.notify_sender,
                    to=entry.mailbox,
                    public_base_url=self._settings.public_base_url,
                    now=self._clock(),
                )
                failure = await self._send(message, entry.mailbox)
                await self._record([row], message_id_for(row.notification_id), failure, report)

    async def _deliver_digests(self, report: DispatchReport, stop: asyncio.Event | None) -> None:
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await notification.claim_digests(
                conn, claimer=self.claimer, now=now, lease=self._lease
            )
        if not claimed:
            return
        report.claimed += len(claimed)
        groups: dict[tuple[str, datetime], list[Notification]] = {}
        for row in claimed:
            assert row.digest_mailbox is not None and row.digest_at is not None  # claim_digests
            groups.setdefault((row.digest_mailbox, row.digest_at), []).append(row)
        send_by = now + self._lease - self._lease_margin
        for (mailbox, digest_at), rows in groups.items():
            if self._clock() >= send_by or (stop is not None and stop.is_set()):
                await self._release(rows, report)
                continue
            if max(row.attempts for row in rows) > self._settings.notify_max_attempts:
                await self._fail_abandoned(rows, report)
                continue
            message = build_digest(
                rows,
                sender=self._settings.notify_sender,
                to=mailbox,
                public_base_url=self._settings.public_base_url,
                digest_at=digest_at,
                now=self._clock(),
            )
            failure = await self._send(message, mailbox)
            sent = await self._record(rows, digest_message_id(mailbox, digest_at), failure, report)
            if sent:
                report.digests += 1
                log.info("digest_sent", notification_count=len(rows), digest_at=digest_at)

    async def _send(self, message: EmailMessage, mailbox: str) -> SendFailure | None:
        """Hand the email to the SMTP server; None once it has accepted it."""
        s = self._settings
        try:
            await aiosmtplib.send(
                message,
                recipients=[mailbox],
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                use_tls=s.smtp_tls is SmtpTls.TLS,
                # None: upgrade if the server offers STARTTLS (aiosmtplib's own default).
                start_tls={SmtpTls.AUTO: None, SmtpTls.STARTTLS: True}.get(s.smtp_tls, False),
                timeout=self._smtp_timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
            return describe_failure(err)
        return None

    async def _record(
        self,
        rows: Sequence[Notification],
        message_id: str,
        failure: SendFailure | None,
        report: DispatchReport,
    ) -> bool:
        """Write what became of a send; True if it went out."""
        ids = [row.notification_id for row in rows]
        attempts = max(row.attempts for row in rows)
        async with self._pool.acquire() as conn:
            if failure is None:
                report.sent += await notification.mark_sent(
                    conn, ids, message_id=message_id, now=self._clock()
                )
                for row in rows:
                    log.info("notification_sent", **_ids(row), attempt=row.attempts)
                return True
            exhausted = attempts >= self._settings.notify_max_attempts
            if failure.permanent or exhausted:
                reason = (
                    notification.RECIPIENT_REFUSED
                    if failure.permanent
                    else notification.ATTEMPTS_EXHAUSTED
                )
                report.failed += await notification.mark_failed(
                    conn, ids, reason=reason, error=failure.error, now=self._clock()
                )
                for row in rows:
                    log.error(
                        "notification_failed", **_ids(row), reason=reason, error=failure.error
                    )
                return False
            retry_at = self._clock() + backoff(self._settings, attempts)
            report.retried += await notification.schedule_retry(
                conn, ids, claimer=self.claimer, next_attempt_at=retry_at, error=failure.error
            )
        for row in rows:
            log.warning(
                "notification_retry_scheduled",
                **_ids(row),
                attempt=row.attempts,
                error=failure.error,
                next_attempt_at=retry_at,
            )
        return False

    async def _fail_no_recipient(self, row: Notification, report: DispatchReport) -> None:
        # Team and role names are the council's structure, not personal data: safe to store.
        error = f"no directory entry for team {row.recipient_team!r} role {row.recipient_role!r}"
        async with self._pool.acquire() as conn:
            report.failed += await notification.mark_failed(
                conn,
                [row.notification_id],
                reason=notification.NO_RECIPIENT,
                error=error,
                now=self._clock(),
            )
        log.error(
            "notification_failed",
            **_ids(row),
            reason=notification.NO_RECIPIENT,
            recipient_team=row.recipient_team,
            recipient_role=row.recipient_role,
        )

    async def _fail_abandoned(self, rows: Sequence[Notification], report: DispatchReport) -> None:
        # Claimed more often than attempts allow: every claim ended with its dispatcher dying
        # (or crashing on this row) before an outcome was recorded. Stop feeding it dispatchers.
        async with self._pool.acquire() as conn:
            report.failed += await notification.mark_failed(
                conn,
                [row.notification_id for row in rows],
                reason=notification.ATTEMPTS_EXHAUSTED,
                error="LeaseExpired",
                now=self._clock(),
            )
        for row in rows:
            log.error("notification_failed", **_ids(row), reason=notification.ATTEMPTS_EXHAUSTED)

    async def _park(self, row: Notification, mailbox: str, report: DispatchReport) -> None:
        digest_at = next_digest_at(self._clock(), self._settings.notify_digest_hour)
        async with self._pool.acquire() as conn:
            parked = await notification.park_for_digest(
                conn,
                row.notification_id,
                claimer=self.claimer,
                mailbox=mailbox,
                digest_at=digest_at,
            )
        report.parked += int(parked)
        log.info("notification_parked_for_digest", **_ids(row), digest_at=digest_at)

    async def _release(self, rows: Sequence[Notification], report: DispatchReport) -> None:
        async with self._pool.acquire() as conn:
            report.released += await notification.release(
                conn, [row.notification_id for row in rows], claimer=self.claimer
            )


def _ids(row: Notification) -> dict[str, str]:
    return {
        "notification_id": str(row.notification_id),
        "workflow_id": row.workflow_id,
        "notification_kind": row.kind,
    }


async def run_notifier(settings: Settings, stop: asyncio.Event) -> None:
    """Run `frontdoor notifier` until `stop` is set; owns and closes its pool."""
    if settings.database_url is None:
        raise RuntimeError(
            "frontdoor notifier needs FRONTDOOR_DATABASE_URL "
            "(or run `frontdoor dev`, which starts embedded servers)"
        )
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    try:
        notifier = Notifier(pool, settings)
        async with notifier_probes(pool, settings, lambda: notifier.last_round_at, stop):
            await notifier.run(stop)
    finally:
        await pool.close()
