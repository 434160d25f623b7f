"""The inbox as the API sees it: listing tasks, reading one, and who holds it (claim, release,
assign). Activities open and close tasks (store/tasks.py); the only column written here is
`assignee`, and only on an open task.

Each claim, release and assignment is one guarded UPDATE, so two people acting at once cannot
both win. Callers own the connection; nothing here opens a transaction it does not need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
from pydantic import BaseModel

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

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.open


# Open and past its due time; `now()` is the database's clock, the same for every row listed.
_OVERDUE = "(status = 'open' AND due_at <= now())"
_COLUMNS = f"""
    task_id, referral_id, workflow_id, kind, team, agency, status, assignee, due_at,
    escalation_level, opened_at, closed_at, {_OVERDUE} AS overdue
"""


def _task(row: asyncpg.Record | None) -> InboxTask | None:
    return None if row is None else InboxTask.model_validate(dict(row))


@dataclass(frozen=True)
class InboxFilter:
    """What to list. `teams` None means every team; every other None means no filter."""

    teams: list[str] | None = None
    kind: TaskKind | None = None
    agency: Agency | None = None
    status: TaskStatus | None = TaskStatus.open
    assignee: str | None = None
    overdue: bool | None = None
    limit: int = 50
    offset: int = 0


async def list_tasks(conn: Conn, where: InboxFilter) -> list[InboxTask]:
    """A page of tasks matching `where`, earliest due first (task id breaks ties)."""
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
        ORDER BY due_at, task_id
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


async def referral_assignees(conn: Conn, referral_id: UUID) -> dict[str, str]:
    """Who holds each claimed task of a referral, by task id (as text, as the workflow keys it)."""
    rows = await conn.fetch(
        "SELECT task_id, assignee FROM task WHERE referral_id = $1 AND assignee IS NOT NULL",
        referral_id,
    )
    return {str(row["task_id"]): row["assignee"] for row in rows}
