"""The case activities against a real PostgreSQL, run in Temporal's activity environment (so
`activity.logger` and the activity context work). Each is called twice where a retry could happen,
and the rows a user would see are counted."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.case import INVALID_INPUT, CaseActivities
from core.logs import configure_logging
from core.settings import LogFormat, Settings
from domain.case import CaseProgress, Stage
from domain.policy import Rag, Role
from domain.records import (
    CloseTaskInput,
    EscalateInput,
    NotifyInput,
    OpenTaskInput,
    RecordProgressInput,
    RegisterReferralInput,
)
from domain.tasks import Agency, TaskKind, TaskStatus, Team, agency_team
from store.audit import list_audit_events

RECEIVED = datetime(2026, 5, 22, 15, tzinfo=UTC)
NHS = "9434765919"


def registration(received_at: datetime = RECEIVED, revision: int = 1) -> RegisterReferralInput:
    referral_id = uuid.uuid4()
    return RegisterReferralInput(
        workflow_id=f"referral-{referral_id}",
        referral_id=referral_id,
        received_at=received_at,
        source="2A",
        policy_version="england-2023",
        nhs_number=NHS,
        match_key=None,
        progress=CaseProgress(revision=revision, stage=Stage.screening),
    )


def task_for(
    case: RegisterReferralInput,
    kind: TaskKind = TaskKind.screening,
    agency: Agency | None = None,
    revision: int = 2,
) -> OpenTaskInput:
    return OpenTaskInput(
        workflow_id=case.workflow_id,
        referral_id=case.referral_id,
        task_id=str(uuid.uuid4()),
        kind=kind,
        team=agency_team(agency) if agency else Team.practitioners.value,
        agency=agency,
        opened_at=RECEIVED,
        due_at=RECEIVED + timedelta(hours=2),
        progress=CaseProgress(revision=revision, stage=Stage.screening, rag=Rag.amber),
    )


def rung(task: OpenTaskInput, level: int, role: Role, revision: int = 3) -> EscalateInput:
    at = task.due_at + timedelta(minutes=30 * (level - 1))
    return EscalateInput(
        workflow_id=task.workflow_id,
        referral_id=task.referral_id,
        task_id=task.task_id,
        kind=task.kind,
        team=task.team,
        level=level,
        role=role,
        rung_at=at,
        fired_at=at,
        due_at=task.due_at,
        reason="overdue",
        progress=CaseProgress(revision=revision, stage=Stage.screening, escalation_level=level),
    )


async def count(pool: asyncpg.Pool, table: str, workflow_id: str) -> int:
    async with pool.acquire() as conn:
        n: int = await conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE workflow_id = $1", workflow_id
        )
    return n


@pytest.fixture
def env() -> ActivityEnvironment:
    return ActivityEnvironment()


@pytest.fixture
async def case(pool: asyncpg.Pool, env: ActivityEnvironment) -> RegisterReferralInput:
    registered = registration()
    await env.run(CaseActivities(pool).register_referral, registered)
    return registered


async def test_registering_twice_writes_once_and_finds_earlier_referrals(
    pool: asyncpg.Pool, env: ActivityEnvironment
) -> None:
    activities = CaseActivities(pool)
    earlier = registration(received_at=RECEIVED - timedelta(days=100))
    now = registration()
    await env.run(activities.register_referral, earlier)

    first = await env.run(activities.register_referral, now)
    second = await env.run(activities.register_referral, now)

    assert first.earlier_referral_ids == second.earlier_referral_ids == [earlier.referral_id]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM referral") == 2
        assert await conn.fetchval(
            "SELECT re_referral FROM referral WHERE workflow_id = $1", now.workflow_id
        )
        events = await list_audit_events(conn, now.workflow_id)
    assert [(e.step_key, e.kind) for e in events] == [("received", "referral_received")]
    assert events[0].details == {
        "source": "2A",
        "policy_version": "england-2023",
        "earlier_referral_count": 1,
    }


async def test_opening_a_task_twice_writes_each_row_once(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    activities = CaseActivities(pool)
    task = task_for(case, TaskKind.agency_check, Agency.police)

    await env.run(activities.open_task, task)
    await env.run(activities.open_task, task)

    for table in ("task", "agency_check", "notification"):
        assert await count(pool, table, case.workflow_id) == 1
    async with pool.acquire() as conn:
        events = await list_audit_events(conn, case.workflow_id)
        notice = await conn.fetchrow("SELECT * FROM notification")
        stage, rag = await conn.fetchrow("SELECT stage, rag FROM referral") or (None, None)
    assert [e.kind for e in events] == ["referral_received", "task_opened"]
    assert events[1].details == {
        "task_id": task.task_id,
        "kind": "agency_check",
        "agency": "police",
        "team": "agency:police",
        "due_at": "2026-05-22T17:00:00+00:00",
    }
    assert notice is not None
    assert (notice["kind"], notice["recipient_team"], notice["recipient_role"]) == (
        "task_opened",
        "agency:police",
        None,
    )
    assert json.loads(notice["payload"]) == {
        "referral_id": str(case.referral_id),
        "task_id": task.task_id,
        "task_kind": "agency_check",
        "agency": "police",
        "due_at": "2026-05-22T17:00:00+00:00",
    }
    assert (stage, rag) == ("screening", "amber")


async def test_closing_a_task_twice_keeps_the_first_closing(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    activities = CaseActivities(pool)
    task = task_for(case, TaskKind.agency_check, Agency.health)
    await env.run(activities.open_task, task)
    close = CloseTaskInput(
        workflow_id=task.workflow_id,
        referral_id=task.referral_id,
        task_id=task.task_id,
        kind=task.kind,
        agency=task.agency,
        status=TaskStatus.completed,
        closed_at=task.due_at - timedelta(minutes=5),
        actor="nurse.ahmed",
        opened_at=task.opened_at,
        due_at=task.due_at,
        summary={"known_to_agency": True, "risk_indicator_count": 1},
        progress=CaseProgress(revision=3, stage=Stage.decision),
    )

    await env.run(activities.close_task, close)
    await env.run(
        activities.close_task, close.model_copy(update={"closed_at": task.due_at + timedelta(1)})
    )

    async with pool.acquire() as conn:
        events = await list_audit_events(conn, case.workflow_id)
        check = await conn.fetchrow("SELECT * FROM agency_check")
        task_row = await conn.fetchrow("SELECT status, closed_at, completed_by FROM task")
        stage = await conn.fetchval("SELECT stage FROM referral")
    closed = [e for e in events if e.step_key == f"task/{task.task_id}/closed"]
    assert [(e.kind, e.actor) for e in closed] == [("task_completed", "nurse.ahmed")]
    assert closed[0].details["summary"] == {"known_to_agency": True, "risk_indicator_count": 1}
    assert check is not None and task_row is not None
    assert (check["on_time"], check["returned_at"], check["known_to_agency"]) == (
        True,
        close.closed_at,
        True,
    )
    assert tuple(task_row) == ("completed", close.closed_at, "nurse.ahmed")
    assert stage == "decision"


async def test_a_reminder_goes_to_the_team_while_nobody_has_claimed_the_task(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    activities = CaseActivities(pool)
    task = task_for(case)
    await env.run(activities.open_task, task)

    result = await env.run(activities.escalate, rung(task, 0, Role.assignee))

    assert result.told == "front_door_practitioners"
    async with pool.acquire() as conn:
        notice = await conn.fetchrow(
            "SELECT kind, recipient_team, recipient_role FROM notification WHERE step_key = $1",
            f"task/{task.task_id}/rung/0",
        )
        events = await list_audit_events(conn, case.workflow_id)
        level = await conn.fetchval("SELECT escalation_level FROM task")
    assert notice is not None
    assert tuple(notice) == ("reminder", "front_door_practitioners", None)
    assert events[-1].kind == "reminder_sent"
    assert events[-1].details["told"] == "front_door_practitioners"
    assert level == 0


async def test_a_reminder_goes_to_the_assignee_of_a_claimed_task_even_on_retry(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    activities = CaseActivities(pool)
    task = task_for(case)
    await env.run(activities.open_task, task)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE task SET assignee = 'sam.patel'")

    first = await env.run(activities.escalate, rung(task, 0, Role.assignee))
    async with pool.acquire() as conn:
        await conn.execute("UPDATE task SET assignee = 'someone.else'")
    retry = await env.run(activities.escalate, rung(task, 0, Role.assignee))

    assert first.told == retry.told == "sam.patel"
    async with pool.acquire() as conn:
        role = await conn.fetchval(
            "SELECT recipient_role FROM notification WHERE step_key = $1",
            f"task/{task.task_id}/rung/0",
        )
    assert role == "assignee:sam.patel"


async def test_escalating_twice_tells_the_team_manager_once_and_raises_the_level(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    activities = CaseActivities(pool)
    task = task_for(case)
    await env.run(activities.open_task, task)
    step = rung(task, 1, Role.team_manager)

    first = await env.run(activities.escalate, step)
    second = await env.run(activities.escalate, step)

    assert first.told == second.told == "team_manager of front_door_practitioners"
    async with pool.acquire() as conn:
        notices = await conn.fetch(
            "SELECT kind, recipient_role, payload FROM notification WHERE step_key = $1",
            f"task/{task.task_id}/rung/1",
        )
        events = await list_audit_events(conn, case.workflow_id)
        task_level = await conn.fetchval("SELECT escalation_level FROM task")
        case_level = await conn.fetchval("SELECT escalation_level FROM referral")
    assert [(n["kind"], n["recipient_role"]) for n in notices] == [("escalation", "team_manager")]
    assert json.loads(notices[0]["payload"]) == {
        "referral_id": str(case.referral_id),
        "task_id": task.task_id,
        "task_kind": "screening",
        "level": 1,
        "role": "team_manager",
        "due_at": "2026-05-22T17:00:00+00:00",
    }
    escalated = [e for e in events if e.kind == "escalated"]
    assert len(escalated) == 1
    assert escalated[0].step_key == f"task/{task.task_id}/rung/1"
    assert escalated[0].details == {
        "task_id": task.task_id,
        "kind": "screening",
        "level": 1,
        "role": "team_manager",
        "rung_at": "2026-05-22T17:00:00+00:00",
        "fired_at": "2026-05-22T17:00:00+00:00",
        "due_at": "2026-05-22T17:00:00+00:00",
        "reason": "overdue",
        "told": "team_manager of front_door_practitioners",
    }
    assert (task_level, case_level) == (1, 1)


def notice_for(case: RegisterReferralInput, payload: dict[str, Any]) -> NotifyInput:
    return NotifyInput(
        workflow_id=case.workflow_id,
        referral_id=case.referral_id,
        step_key="outcome/referrer",
        kind="referrer_outcome",
        recipient_team=Team.practitioners.value,
        recipient_role="team_manager",
        occurred_at=RECEIVED,
        payload=payload,
    )


async def test_notifying_twice_queues_once_and_returns_the_same_id(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    activities = CaseActivities(pool)
    notice = notice_for(case, {"stage": "decision"})

    first = await env.run(activities.notify, notice)
    second = await env.run(activities.notify, notice)

    assert first.notification_id == second.notification_id
    assert await count(pool, "notification", case.workflow_id) == 1
    async with pool.acquire() as conn:
        events = await list_audit_events(conn, case.workflow_id)
    assert [e.kind for e in events] == ["referral_received", "notified_referrer_outcome"]


async def test_a_notification_payload_with_personal_data_is_refused_for_good(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    notice = notice_for(case, {"child_name": "A Child"})

    with pytest.raises(ApplicationError, match="child_name") as raised:
        await env.run(CaseActivities(pool).notify, notice)

    assert raised.value.non_retryable and raised.value.type == INVALID_INPUT
    assert await count(pool, "notification", case.workflow_id) == 0


async def test_late_progress_does_not_overwrite_newer_progress(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    activities = CaseActivities(pool)

    def change(revision: int, stage: Stage, step_key: str) -> RecordProgressInput:
        return RecordProgressInput(
            workflow_id=case.workflow_id,
            referral_id=case.referral_id,
            step_key=step_key,
            audit_kind="stage_changed",
            actor="system",
            occurred_at=RECEIVED,
            details={"stage": stage.value},
            progress=CaseProgress(revision=revision, stage=stage),
        )

    await env.run(activities.record_progress, change(5, Stage.visit, "stage/5"))
    await env.run(activities.record_progress, change(3, Stage.decision, "stage/3"))

    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT revision, stage FROM referral")
    assert row is not None and tuple(row) == (5, "visit")
    assert await count(pool, "audit_event", case.workflow_id) == 3


async def test_a_task_id_that_is_not_a_uuid_is_refused_for_good(
    pool: asyncpg.Pool, env: ActivityEnvironment, case: RegisterReferralInput
) -> None:
    task = task_for(case).model_copy(update={"task_id": "screening-1"})

    with pytest.raises(ApplicationError, match="not a UUID") as raised:
        await env.run(CaseActivities(pool).open_task, task)

    assert raised.value.non_retryable


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(Settings(log_format=LogFormat.JSON), stream=stream)
    yield stream
    configure_logging(Settings(log_format=LogFormat.JSON))


async def test_escalation_is_logged_with_ids_and_levels_only(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    case: RegisterReferralInput,
    captured_logs: io.StringIO,
) -> None:
    activities = CaseActivities(pool)
    task = task_for(case)
    await env.run(activities.open_task, task)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE task SET assignee = 'sam.patel'")

    await env.run(activities.escalate, rung(task, 0, Role.assignee))

    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    line = next(line for line in lines if line["event"] == "task_escalated")
    assert line["task_id"] == task.task_id
    assert (line["escalation_level"], line["escalation_role"]) == (0, "assignee")
    assert line["level"] == "info"
    assert "sam.patel" not in captured_logs.getvalue()
