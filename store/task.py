"""Queries on `task`, the inbox staff list and claim their work from, and its row model
`InboxTask`.

Only the case activities open, close and escalate tasks (through store/case_record.py); the API
lists and reads them and writes one column, `assignee` (claim, release, assign), and only on an
open task. Every write is keyed by the task id (or (workflow id, step key)) and guarded by the
row's state: a retried activity changes nothing twice, and of two people claiming at once only
one wins. Callers own the connection and open any transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from domain.records import CloseTaskInput, OpenTaskInput
from domain.tasks import Agency, TaskKind, TaskStatus
from store.pool import Conn


class InboxTask(BaseModel):
    """A row of `task`, with `overdue` worked out by PostgreSQL at the time of reading."""

    task_id: UUID
    referral_id: UUID
    workflow_id: str
    kind: TaskKind
    team: str
    agency: Agency | None
    status: TaskStatus
    assignee: str | None
    due_at: datetime
    escalation_level: int
    opened_at: datetime
    closed_at: datetime | None
    overdue: bool
    counts_from: datetime | None = None
    attempt: int = 1
    completed_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.open


@dataclass(frozen=True)
class InboxFilter:
    """What to list. `teams` None means every team; every other None means no filter."""

    teams: list[str] | None = None
    kind: TaskKind | None = None
    agency: Agency | None = None
    status: TaskStatus | None = TaskStatus.open
    assignee: str | None = None
    overdue: bool | None = None
    # "due": earliest due first; "urgent": overdue first, then the most escalated, then by due.
    sort: str = "due"
    limit: int = 50
    offset: int = 0


# Open and past its due time; `now()` is the database's clock, the same for every row listed.
_OVERDUE = "(status = 'open' AND due_at <= now())"
_ORDER = {
    "due": "due_at, task_id",
    "urgent": f"{_OVERDUE} DESC, escalation_level DESC, due_at, task_id",
}
_COLUMNS = f"""
    task_id, referral_id, workflow_id, kind, team, agency, status, assignee, due_at,
    escalation_level, opened_at, closed_at, {_OVERDUE} AS overdue, counts_from, attempt,
    completed_by
"""


def _task(row: asyncpg.Record | None) -> InboxTask | None:
    return None if row is None else InboxTask.model_validate(dict(row))


def task_step_key(task_id: str) -> str:
    """The step key of a task's inbox row."""
    return f"task/{task_id}"


def task_uuid(task_id: str | UUID) -> UUID:
    """The task id as the uuid the `task_id` column holds; ValueError if it is not one."""
    return task_id if isinstance(task_id, UUID) else UUID(task_id)


# ---- the case activities' writes ------------------------------------------------------------


async def insert_task(conn: Conn, task: OpenTaskInput) -> bool:
    """Open the task in the inbox unless it is there already; True if this call inserted it."""
    inserted = await conn.fetchval(
        """
        INSERT INTO task (task_id, referral_id, workflow_id, step_key, kind, team, agency,
                          due_at, opened_at, counts_from, attempt)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
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
        task.counts_from or task.opened_at,
        task.attempt,
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


# ---- the API's reads and its one write, `assignee` ------------------------------------------


async def list_tasks(conn: Conn, where: InboxFilter) -> list[InboxTask]:
    """A page of tasks matching `where`, earliest due first (task id breaks ties); with
    `sort="urgent"`, the overdue first and the most escalated before the rest."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS}
        FROM task
        WHERE ($1::text[] IS NULL OR team = ANY($1::text[]))
          AND ($2::text IS NULL OR kind = $2)
          AND ($3::text IS NULL OR agency = $3)
          AND ($4::text IS NULL OR status = $4)
          AND ($5::text IS NULL OR assignee = $5)
          AND ($6::boolean IS NULL OR {_OVERDUE} = $6)
        ORDER BY {_ORDER[where.sort]}
        LIMIT $7 OFFSET $8
        """,
        where.teams,
        where.kind.value if where.kind is not None else None,
        where.agency.value if where.agency is not None else None,
        where.status.value if where.status is not None else None,
        where.assignee,
        where.overdue,
        where.limit,
        where.offset,
    )
    return [InboxTask.model_validate(dict(row)) for row in rows]


async def get_task(conn: Conn, task_id: UUID) -> InboxTask | None:
    """The task, or None if the inbox has no such task."""
    return _task(await conn.fetchrow(f"SELECT {_COLUMNS} FROM task WHERE task_id = $1", task_id))


async def claim_task(conn: Conn, task_id: UUID, user_id: str) -> InboxTask | None:
    """Take the task for `user_id` if it is open and free (or theirs already); None if not.

    When two claims race, the second waits on the row lock and then finds it taken: re-read the
    task after a None to say who holds it.
    """
    row = await conn.fetchrow(
        f"""
        UPDATE task SET assignee = $2
        WHERE task_id = $1 AND status = 'open' AND (assignee IS NULL OR assignee = $2)
        RETURNING {_COLUMNS}
        """,
        task_id,
        user_id,
    )
    return _task(row)


async def release_task(conn: Conn, task_id: UUID, holder: str | None) -> InboxTask | None:
    """Free the open task if `holder` holds it (any holder when `holder` is None, for managers);
    None if it is not open or someone else holds it. Releasing a free task is a no-op."""
    row = await conn.fetchrow(
        f"""
        UPDATE task SET assignee = NULL
        WHERE task_id = $1 AND status = 'open'
          AND ($2::text IS NULL OR assignee IS NULL OR assignee = $2)
        RETURNING {_COLUMNS}
        """,
        task_id,
        holder,
    )
    return _task(row)


async def assign_task(conn: Conn, task_id: UUID, user_id: str) -> InboxTask | None:
    """Give the open task to `user_id`, whoever held it; None if it is not open (or unknown)."""
    row = await conn.fetchrow(
        f"""
        UPDATE task SET assignee = $2
        WHERE task_id = $1 AND status = 'open'
        RETURNING {_COLUMNS}
        """,
        task_id,
        user_id,
    )
    return _task(row)


async def tasks_of_referral(conn: Conn, referral_id: UUID) -> list[InboxTask]:
    """Every task of a referral, open or closed, in the order they were opened."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM task WHERE referral_id = $1 ORDER BY opened_at, task_id",
        referral_id,
    )
    return [InboxTask.model_validate(dict(row)) for row in rows]


async def referral_assignees(conn: Conn, referral_id: UUID) -> dict[str, str]:
    """Who holds each claimed task of a referral, by task id (as text, as the workflow keys it)."""
    rows = await conn.fetch(
        "SELECT task_id, assignee FROM task WHERE referral_id = $1 AND assignee IS NOT NULL",
        referral_id,
    )
    return {str(row["task_id"]): row["assignee"] for row in rows}


async def agency_has_task(conn: Conn, workflow_id: str, team: str) -> bool:
    """Whether a partner's team was asked anything on this case."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM task WHERE workflow_id = $1 AND team = $2)",
            workflow_id,
            team,
        )
    )


@dataclass(frozen=True)
class OverdueTasks:
    """Open tasks past their due time, for the notifier's metrics (docs/operations.md)."""

    count: int
    oldest_seconds: float  # 0 when none is overdue


async def overdue_tasks(conn: Conn, *, now: datetime) -> OverdueTasks:
    row = await conn.fetchrow(
        """
        SELECT count(*) AS overdue, coalesce(extract(epoch FROM $1 - min(due_at)), 0) AS oldest
        FROM task WHERE status = 'open' AND due_at <= $1
        """,
        now,
    )
    assert row is not None
    return OverdueTasks(count=row["overdue"], oldest_seconds=float(row["oldest"]))
