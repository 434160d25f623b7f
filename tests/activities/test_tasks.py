"""Opening and closing tasks: the inbox, the agency check, the audit trail and the team told, once
each however often a write is retried.

The case activities against a real PostgreSQL, in Temporal's activity environment."""

from __future__ import annotations

import json
from datetime import timedelta

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from domain.case import CaseProgress, Stage
from domain.records import CloseTaskInput, RegisterReferralInput
from domain.tasks import Agency, TaskKind, TaskStatus
from store.audit_event import list_audit_events
from tests.activities.factory import (
    count,
    task_for,
    write,
)


async def test_opening_a_task_twice_writes_each_row_once(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    task = task_for(case, TaskKind.agency_check, Agency.police)

    await write(env, activities, task)
    await write(env, activities, task)

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
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    task = task_for(case, TaskKind.agency_check, Agency.health)
    await write(env, activities, task)
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

    await write(env, activities, close)
    await write(env, activities, close.model_copy(update={"closed_at": task.due_at + timedelta(1)}))

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


async def test_a_task_id_that_is_not_a_uuid_is_refused_for_good(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    task = task_for(case).model_copy(update={"task_id": "screening-1"})

    with pytest.raises(ApplicationError, match="not a UUID") as raised:
        await write(env, activities, task)

    assert raised.value.non_retryable
