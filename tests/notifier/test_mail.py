"""The emails the notifier sends (notifier/mail.py), through a real dispatcher, PostgreSQL and
SMTP server: one email per outbox row under the row's own Message-ID, or one digest a day per
mailbox that asks for it, and no personal data in either."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from activities.record import CaseRecord
from core.sealing import record_sealer
from core.settings import Settings
from domain.case import CaseProgress, Stage
from domain.policy import Role
from domain.records import ApplyWritesInput, EscalateInput
from domain.tasks import TaskKind, Team
from notifier.dispatcher import Notifier, next_digest_at
from notifier.mail import digest_message_id, message_id_for
from store.case_record import PgCaseStore
from tests.notifier.factory import (
    MANAGERS,
    PRACTITIONERS,
    Clock,
    directory,
    queue,
    row,
    settings_for,
    team,
)
from tests.notifier.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)

CHILD_NAME = "Sam Example"
CONCERN = "Arrives hungry most days; bruising seen on the arm."


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
        CaseActivities(PgCaseStore(pool), CaseRecord(record_sealer(Settings()))).apply_writes,
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
