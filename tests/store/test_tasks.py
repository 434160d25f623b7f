"""The inbox and agency check queries against a real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from domain.case import CaseProgress, Stage
from domain.records import CloseTaskInput, OpenTaskInput
from domain.tasks import Agency, TaskKind, TaskStatus, agency_team
from store.agency_check import close_agency_check, insert_agency_check
from store.task import close_task, get_task_assignee, insert_task, raise_task_escalation

OPENED = datetime(2026, 5, 22, 15, tzinfo=UTC)
DUE = OPENED + timedelta(hours=6)
PROGRESS = CaseProgress(revision=1, stage=Stage.checks)


def agency_check_task(workflow_id: str | None = None) -> OpenTaskInput:
    referral_id = uuid.uuid4()
    return OpenTaskInput(
        workflow_id=workflow_id or f"referral-{referral_id}",
        referral_id=referral_id,
        task_id=str(uuid.uuid4()),
        kind=TaskKind.agency_check,
        team=agency_team(Agency.police),
        agency=Agency.police,
        opened_at=OPENED,
        due_at=DUE,
        progress=PROGRESS,
    )


def closing(
    task: OpenTaskInput,
    *,
    status: TaskStatus = TaskStatus.completed,
    closed_at: datetime = OPENED + timedelta(hours=2),
    summary: dict[str, Any] | None = None,
) -> CloseTaskInput:
    return CloseTaskInput(
        workflow_id=task.workflow_id,
        referral_id=task.referral_id,
        task_id=task.task_id,
        kind=task.kind,
        agency=task.agency,
        status=status,
        closed_at=closed_at,
        actor="pc.jones",
        opened_at=task.opened_at,
        due_at=task.due_at,
        summary=summary if summary is not None else {},
        progress=PROGRESS,
    )


async def test_a_task_is_opened_once_and_closed_once(pool: asyncpg.Pool) -> None:
    task = agency_check_task()
    first = closing(task, summary={"known_to_agency": True, "risk_indicator_count": 2})
    later = closing(task, status=TaskStatus.cancelled, closed_at=OPENED + timedelta(hours=3))
    async with pool.acquire() as conn:
        assert await insert_task(conn, task)
        assert not await insert_task(conn, task)
        assert await close_task(conn, first)
        assert not await close_task(conn, later)
        rows = await conn.fetch("SELECT * FROM task")

    assert len(rows) == 1
    row = rows[0]
    assert str(row["task_id"]) == task.task_id
    assert row["step_key"] == f"task/{task.task_id}"
    assert (row["kind"], row["team"], row["agency"]) == ("agency_check", "agency:police", "police")
    assert (row["status"], row["closed_at"], row["completed_by"]) == (
        "completed",
        first.closed_at,
        "pc.jones",
    )
    assert json.loads(row["summary"]) == {"known_to_agency": True, "risk_indicator_count": 2}


async def test_closing_as_open_is_refused(pool: asyncpg.Pool) -> None:
    task = agency_check_task()
    async with pool.acquire() as conn:
        await insert_task(conn, task)
        with pytest.raises(ValueError, match="not open"):
            await close_task(conn, closing(task, status=TaskStatus.open))


async def test_escalation_level_only_rises(pool: asyncpg.Pool) -> None:
    task = agency_check_task()
    async with pool.acquire() as conn:
        await insert_task(conn, task)
        await raise_task_escalation(conn, task.task_id, 2)
        await raise_task_escalation(conn, task.task_id, 1)
        level = await conn.fetchval("SELECT escalation_level FROM task")
    assert level == 2


async def test_assignee_is_whoever_claimed_the_task(pool: asyncpg.Pool) -> None:
    task = agency_check_task()
    async with pool.acquire() as conn:
        await insert_task(conn, task)
        assert await get_task_assignee(conn, task.task_id) is None
        await conn.execute("UPDATE task SET assignee = 'sam.patel'")
        assert await get_task_assignee(conn, task.task_id) == "sam.patel"
        assert await get_task_assignee(conn, str(uuid.uuid4())) is None


async def _agency_check_after(pool: asyncpg.Pool, close: CloseTaskInput) -> asyncpg.Record:
    async with pool.acquire() as conn:
        task = agency_check_task()
        task = task.model_copy(update={"task_id": close.task_id, "workflow_id": close.workflow_id})
        await insert_task(conn, task)
        assert await insert_agency_check(conn, task)
        assert not await insert_agency_check(conn, task)
        assert await close_agency_check(conn, close)
        assert not await close_agency_check(conn, close.model_copy(update={"closed_at": OPENED}))
        row = await conn.fetchrow(
            "SELECT * FROM agency_check WHERE task_id = $1", uuid.UUID(close.task_id)
        )
    assert row is not None
    return row


async def test_an_agency_check_returned_by_its_due_time_is_on_time(pool: asyncpg.Pool) -> None:
    task = agency_check_task()
    summary = {"known_to_agency": True, "risk_indicator_count": 3}
    row = await _agency_check_after(pool, closing(task, closed_at=DUE, summary=summary))

    assert (row["status"], row["returned_at"], row["on_time"]) == ("completed", DUE, True)
    assert (row["known_to_agency"], row["risk_indicator_count"]) == (True, 3)
    assert (row["agency"], row["requested_at"], row["due_at"]) == ("police", OPENED, DUE)


async def test_an_agency_check_returned_late_is_not_on_time(pool: asyncpg.Pool) -> None:
    task = agency_check_task()
    late = DUE + timedelta(minutes=1)
    row = await _agency_check_after(
        pool, closing(task, closed_at=late, summary={"known_to_agency": False})
    )

    assert (row["returned_at"], row["on_time"], row["known_to_agency"]) == (late, False, False)
    assert row["risk_indicator_count"] is None


async def test_an_unanswered_agency_check_is_late_only_once_it_was_due(pool: asyncpg.Pool) -> None:
    overdue = agency_check_task()
    early = agency_check_task()
    after_due = await _agency_check_after(
        pool,
        closing(overdue, status=TaskStatus.cancelled, closed_at=DUE + timedelta(hours=1)),
    )
    before_due = await _agency_check_after(
        pool, closing(early, status=TaskStatus.cancelled, closed_at=DUE - timedelta(hours=1))
    )

    assert (after_due["status"], after_due["returned_at"], after_due["on_time"]) == (
        "cancelled",
        None,
        False,
    )
    assert (before_due["returned_at"], before_due["on_time"]) == (None, None)
