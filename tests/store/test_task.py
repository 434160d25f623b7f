"""The task queries of the case activities (open, close, escalate, who holds it) against a real
PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import asyncpg
import pytest

from domain.tasks import TaskStatus
from store.task import close_task, get_task_assignee, insert_task, raise_task_escalation
from tests.store.factory import OPENED, agency_check_task, closing


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
