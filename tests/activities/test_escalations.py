"""Escalation rungs: who is told (the assignee, the team, a role), once each, the levels raised, and
logs that carry ids and levels only.

The case activities against a real PostgreSQL, in Temporal's activity environment."""

from __future__ import annotations

import io
import json

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from domain.policy import Role
from domain.records import RegisterReferralInput
from store.audit_event import list_audit_events
from tests.activities.factory import (
    rung,
    task_for,
    write,
)


async def test_a_reminder_goes_to_the_team_while_nobody_has_claimed_the_task(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    task = task_for(case)
    await write(env, activities, task)

    result = await write(env, activities, rung(task, 0, Role.assignee))

    assert result == "front_door_practitioners"
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
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    task = task_for(case)
    await write(env, activities, task)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE task SET assignee = 'sam.patel'")

    first = await write(env, activities, rung(task, 0, Role.assignee))
    async with pool.acquire() as conn:
        await conn.execute("UPDATE task SET assignee = 'someone.else'")
    retry = await write(env, activities, rung(task, 0, Role.assignee))

    assert first == retry == "sam.patel"
    async with pool.acquire() as conn:
        role = await conn.fetchval(
            "SELECT recipient_role FROM notification WHERE step_key = $1",
            f"task/{task.task_id}/rung/0",
        )
    assert role == "assignee:sam.patel"


async def test_escalating_twice_tells_the_team_manager_once_and_raises_the_level(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    task = task_for(case)
    await write(env, activities, task)
    step = rung(task, 1, Role.team_manager)

    first = await write(env, activities, step)
    second = await write(env, activities, step)

    assert first == second == "team_manager of front_door_practitioners"
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


async def test_escalation_is_logged_with_ids_and_levels_only(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
    captured_logs: io.StringIO,
) -> None:
    task = task_for(case)
    await write(env, activities, task)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE task SET assignee = 'sam.patel'")

    await write(env, activities, rung(task, 0, Role.assignee))

    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    line = next(line for line in lines if line["event"] == "task_escalated")
    assert line["task_id"] == task.task_id
    assert (line["escalation_level"], line["escalation_role"]) == (0, "assignee")
    assert line["level"] == "info"
    assert "sam.patel" not in captured_logs.getvalue()
