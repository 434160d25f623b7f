"""The notifier against a real PostgreSQL and a real SMTP server (aiosmtpd) in the test process:
what arrives in which mailbox, under which Message-ID, and what the outbox then says."""

from __future__ import annotations

import asyncio
import email
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from core.settings import Settings, SmtpTls
from domain.case import CaseProgress, Stage
from domain.policy import Role
from domain.records import ApplyWritesInput, EscalateInput, NotifyInput
from domain.tasks import TaskKind, Team
from notifier.dispatcher import Notifier, backoff, next_digest_at
from notifier.mail import digest_message_id, message_id_for
from store import notification
from store.case_record import PgCaseStore
from store.directory_entry import DirectoryEntry, EntryKind, set_entry
from store.notification import queue_notification
from store.pool import create_pool
from tests.ports import free_port

pytestmark = pytest.mark.timeout(60)

CHILD_NAME = "Sam Example"
CONCERN = "Arrives hungry most days; bruising seen on the arm."
MANAGERS = "tm@council.example"
PRACTITIONERS = "practitioners@council.example"
REFUSED = "gone@council.example"


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    def text(self) -> str:
        """Headers and decoded body: what a person could read."""
        return f"{self.message.as_string()}\n{self.message.get_content()}"


@dataclass
class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 collecting what it accepts; refuses `REFUSED` with a 550."""

    port: int
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.delay)  # lets two dispatchers overlap
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"

    async def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(self._controller.start)

    async def stop(self) -> None:
        if self._controller is not None:
            await asyncio.to_thread(self._controller.stop)
            self._controller = None

    def to(self, mailbox: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if mailbox in r.recipients]

    def message_ids(self) -> Counter[str]:
        with self._lock:
            return Counter(str(r.message["Message-ID"]) for r in self.received)


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    """A running SMTP server (a test stops it to see what happens when mail is down)."""
    server = SmtpServer(free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def settings_for(database_url: str, smtp: SmtpServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_tls": SmtpTls.NONE,
        "notify_sender": "Front Door <frontdoor@council.example>",
        "public_base_url": "https://frontdoor.council.example/",
        "notify_backoff_seconds": 0.01,
        "notify_backoff_max_seconds": 0.05,
        "notify_poll_seconds": 0.02,
        **overrides,
    }
    return Settings.model_validate(values)


async def directory(pool: asyncpg.Pool, *entries: DirectoryEntry) -> None:
    async with pool.acquire() as conn:
        for entry in entries:
            await set_entry(conn, entry)


def team(name: str, mailbox: str, role: str | None = None, digest: bool = False) -> DirectoryEntry:
    return DirectoryEntry(kind=EntryKind.team, name=name, role=role, mailbox=mailbox, digest=digest)


async def queue(pool: asyncpg.Pool, role: str | None = "team_manager", **payload: Any) -> uuid.UUID:
    """An escalation of a screening to `role` of the practitioners, as the workflow queues it."""
    referral_id = uuid.uuid4()
    notice = NotifyInput(
        workflow_id=f"referral-{referral_id}",
        referral_id=referral_id,
        step_key="task/t/rung/1",
        kind="escalation",
        recipient_team=Team.practitioners.value,
        recipient_role=role,
        occurred_at=datetime.now(UTC),
        payload={"task_kind": "screening", "level": 1, "role": "team_manager", **payload},
    )
    async with pool.acquire() as conn:
        return await queue_notification(conn, notice)


async def row(pool: asyncpg.Pool, notification_id: uuid.UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        found = await conn.fetchrow(
            "SELECT * FROM notification WHERE notification_id = $1", notification_id
        )
    assert found is not None
    return found


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Poll `check` until it holds; fail after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def all_sent(pool: asyncpg.Pool) -> bool:
    async with pool.acquire() as conn:
        return bool(await conn.fetchval("SELECT bool_and(status = 'sent') FROM notification"))


class Clock:
    """A clock the test moves; starts a little ahead of the database's so queued rows are due."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


async def test_an_escalation_is_one_email_to_the_team_manager_without_personal_data(
    pool: asyncpg.Pool, database_url: str, smtp: SmtpServer
) -> None:
    referral_id, due = uuid.uuid4(), datetime(2026, 5, 22, 17, tzinfo=UTC)
    rung = EscalateInput(
        workflow_id=f"referral-{referral_id}",
        referral_id=referral_id,
        task_id=str(uuid.uuid4()),
        kind=TaskKind.screening,
        team=Team.practitioners.value,
        level=1,
        role=Role.team_manager,
        rung_at=due,
        fired_at=due,
        due_at=due,
        reason="screening overdue",
        progress=CaseProgress(revision=3, stage=Stage.screening, escalation_level=1),
    )
    await ActivityEnvironment().run(
        CaseActivities(PgCaseStore(pool)).apply_writes,
        ApplyWritesInput(workflow_id=rung.workflow_id, writes=[rung]),
    )
    # For the team's inbox: free text slipped into allowed keys must not reach an email either.
    await queue(pool, role=None, stage="screening", outcome=CHILD_NAME, rag=CONCERN)
    await directory(
        pool,
        team("front_door_practitioners", PRACTITIONERS),
        team("front_door_practitioners", MANAGERS, role="team_manager"),
    )
    notifier = Notifier(pool, settings_for(database_url, smtp))

    report = await notifier.dispatch_once()
    await notifier.dispatch_once()  # nothing left: nothing sent twice

    assert (report.claimed, report.sent) == (2, 2)
    [mail] = smtp.to(MANAGERS)
    [team_mail] = smtp.to(PRACTITIONERS)
    assert "Stage: screening" in team_mail.message.get_content()
    async with pool.acquire() as conn:
        escalation_id = await conn.fetchval(
            "SELECT notification_id FROM notification WHERE workflow_id = $1", rung.workflow_id
        )
    assert (
        mail.message["Message-ID"]
        == message_id_for(escalation_id)
        == f"<{escalation_id}@frontdoor>"
    )
    assert mail.message["Subject"].startswith("Front Door: Escalation level 1: screening, due Fri")
    body = mail.message.get_content()
    assert f"https://frontdoor.council.example/referrals/{referral_id}" in body
    assert "Due: Fri 22 May 2026, 18:00 (UK time)" in body
    assert "Escalated to: team manager" in body
    for text in (CHILD_NAME, "Sam", CONCERN, "hungry"):
        assert all(text not in received.text() for received in smtp.received)
    stored = await row(pool, escalation_id)
    assert (stored["status"], stored["attempts"]) == ("sent", 1)
    assert stored["message_id"] == f"<{escalation_id}@frontdoor>"
    assert stored["sent_at"] is not None


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


async def test_a_digest_gathers_the_days_notifications_into_one_email(
    pool: asyncpg.Pool, database_url: str, smtp: SmtpServer
) -> None:
    await directory(
        pool,
        team("front_door_practitioners", MANAGERS, role="team_manager", digest=True),
        team("front_door_practitioners", PRACTITIONERS),
    )
    ids = [await queue(pool) for _ in range(3)]
    at_once = await queue(pool, role=None)
    clock = Clock()
    settings = settings_for(database_url, smtp, notify_digest_hour=7)
    notifier = Notifier(pool, settings, clock=clock)

    first = await notifier.dispatch_once()

    assert (first.parked, first.sent) == (3, 1)
    assert smtp.message_ids() == Counter({message_id_for(at_once): 1})
    digest_at = next_digest_at(clock.now, 7)
    assert (await row(pool, ids[0]))["digest_at"] == digest_at
    clock.now = digest_at - timedelta(seconds=1)
    assert (await notifier.dispatch_once()).claimed == 0  # not before the digest hour

    clock.now = digest_at
    second = await notifier.dispatch_once()
    await notifier.dispatch_once()

    assert (second.digests, second.sent) == (1, 3)
    [digest] = smtp.to(MANAGERS)
    expected_id = digest_message_id(MANAGERS, digest_at)
    assert digest.message["Message-ID"] == expected_id
    assert "3 notifications" in digest.message["Subject"]
    body = digest.message.get_content()
    assert all(f"Notification: {i}" in body for i in ids)
    for notification_id in ids:
        stored = await row(pool, notification_id)
        assert (stored["status"], stored["message_id"], stored["attempts"]) == (
            "sent",
            expected_id,
            1,
        )


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
