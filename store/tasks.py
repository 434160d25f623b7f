"""Queries on `task` (the inbox staff list and claim their work from) and `agency_check` (one row
per agency check, for the per-agency timeliness measure).

Only activities open, close and escalate tasks (activities/case.py); the API may set `assignee`
when someone claims a task. Every write is keyed by the task id (or (workflow id, step key)) and
guarded by the row's state, so a retried activity changes nothing twice. Callers open the
transaction.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python

from domain.records import CloseTaskInput, OpenTaskInput
from domain.tasks import TaskStatus
from store.pool import Conn


def task_step_key(task_id: str) -> str:
    """The step key of a task's inbox row."""
    return f"task/{task_id}"


def task_uuid(task_id: str | UUID) -> UUID:
    """The task id as the uuid the `task_id` column holds; ValueError if it is not one."""
    return task_id if isinstance(task_id, UUID) else UUID(task_id)


async def insert_task(conn: Conn, task: OpenTaskInput) -> bool:
    """Open the task in the inbox unless it is there already; True if this call inserted it."""
    inserted = await conn.fetchval(
        """
        INSERT INTO task (task_id, referral_id, workflow_id, step_key, kind, team, agency,
                          due_at, opened_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (workflow_id, step_key) DO NOTHING
        RETURNING true
        """,
        task_uuid(task.task_id),
        task.referral_id,
        task.workflow_id,
        task_step_key(task.task_id),
        task.kind.value,
        task.team,
        task.agency.value if task.agency is not None else None,
        task.due_at,
        task.opened_at,
    )
    return bool(inserted)


async def close_task(conn: Conn, close: CloseTaskInput) -> bool:
    """Close the task if it is still open; True if this call closed it. A task already closed
    (by a retry of this call, or by anything else first) keeps its first closing."""
    if close.status is TaskStatus.open:
        raise ValueError("a task is closed as completed, cancelled or superseded, not open")
    closed = await conn.fetchval(
        """
        UPDATE task
        SET status = $3, closed_at = $4, completed_by = $5, summary = $6::jsonb
        WHERE task_id = $1 AND workflow_id = $2 AND status = 'open'
        RETURNING true
        """,
        task_uuid(close.task_id),
        close.workflow_id,
        close.status.value,
        close.closed_at,
        close.actor,
        json.dumps(to_jsonable_python(close.summary)),
    )
    return bool(closed)


async def raise_task_escalation(conn: Conn, task_id: str | UUID, level: int) -> None:
    """Raise the task's escalation level to `level`; a lower or repeated level changes nothing."""
    await conn.execute(
        "UPDATE task SET escalation_level = GREATEST(escalation_level, $2) WHERE task_id = $1",
        task_uuid(task_id),
        level,
    )


async def get_task_assignee(conn: Conn, task_id: str | UUID) -> str | None:
    """Who has claimed the task, or None if nobody has (or there is no such task)."""
    assignee: str | None = await conn.fetchval(
        "SELECT assignee FROM task WHERE task_id = $1", task_uuid(task_id)
    )
    return assignee


async def insert_agency_check(conn: Conn, task: OpenTaskInput) -> bool:
    """Record the request to an agency, keyed by its task; True if this call inserted it.

    The task row must exist first (foreign key): call after `insert_task`, in one transaction.
    """
    if task.agency is None:
        raise ValueError("an agency check task names its agency")
    inserted = await conn.fetchval(
        """
        INSERT INTO agency_check (task_id, workflow_id, referral_id, agency, requested_at, due_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (task_id) DO NOTHING
        RETURNING true
        """,
        task_uuid(task.task_id),
        task.workflow_id,
        task.referral_id,
        task.agency.value,
        task.opened_at,
        task.due_at,
    )
    return bool(inserted)


def _flag(summary: dict[str, Any], key: str) -> bool | None:
    value = summary.get(key)
    return value if isinstance(value, bool) else None


def _count(summary: dict[str, Any], key: str) -> int | None:
    value = summary.get(key)
    # bool is an int subclass; a flag is not a count.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


async def close_agency_check(conn: Conn, close: CloseTaskInput) -> bool:
    """Record how the agency check ended, if it is still open; True if this call recorded it.

    A completed check was returned at `closed_at`, on time if by its due time. A check closed
    unanswered (cancelled or superseded) after its due time was not answered on time; one closed
    unanswered before it was due has no timeliness to measure (null).
    """
    if close.status is TaskStatus.open:
        raise ValueError("a task is closed as completed, cancelled or superseded, not open")
    returned = close.status is TaskStatus.completed
    on_time: bool | None
    if returned:
        on_time = close.closed_at <= close.due_at
    else:
        on_time = False if close.closed_at > close.due_at else None
    recorded = await conn.fetchval(
        """
        UPDATE agency_check
        SET status = $2, returned_at = $3, on_time = $4, known_to_agency = $5,
            risk_indicator_count = $6
        WHERE task_id = $1 AND status = 'open'
        RETURNING true
        """,
        task_uuid(close.task_id),
        close.status.value,
        close.closed_at if returned else None,
        on_time,
        _flag(close.summary, "known_to_agency") if returned else None,
        _count(close.summary, "risk_indicator_count") if returned else None,
    )
    return bool(recorded)
