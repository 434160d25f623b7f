"""Queries on `agency_check`: one row per request to a partner agency (police, health,
education, records), kept beside its `task` row for the per-agency timeliness measures
(store/performance/agency_checks.py).

Only the case activities write it (through store/case_record.py), keyed by the task id and
guarded by the row's state, so a retried activity records nothing twice. Callers open the
transaction.
"""

from __future__ import annotations

from typing import Any

from domain.records import CloseTaskInput, OpenTaskInput
from domain.tasks import TaskStatus
from store.pool import Conn
from store.task import task_uuid


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
