"""The agency check queries (a request to an agency, and how it ended: on time, late, or not
answered) against a real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg

from domain.records import CloseTaskInput
from domain.tasks import TaskStatus
from store.agency_check import close_agency_check, insert_agency_check
from store.task import insert_task
from tests.store.factory import DUE, OPENED, agency_check_task, closing


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
