"""Queries on `learning_action`: what an audit's findings ask someone to do, by when, and
whether it is done; the overdue ones for the daily escalation. Callers own the connection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.quality import ActionStatus
from store.pool import Conn


@dataclass(frozen=True)
class StoredAction:
    action_id: UUID
    audit_id: UUID
    referral_id: UUID
    action: str
    owner: str
    due_on: date
    status: ActionStatus
    created_by: str
    created_at: datetime
    done_at: datetime | None


_SELECT = """
    SELECT a.action_id, a.audit_id, au.referral_id, a.action, a.owner, a.due_on, a.status,
           a.created_by, a.created_at, a.done_at
    FROM learning_action a JOIN audit au USING (audit_id)
"""


def _action(row: object) -> StoredAction:
    r = dict(row)  # type: ignore[call-overload]
    return StoredAction(**{**r, "status": ActionStatus(r["status"])})


async def insert_action(
    conn: Conn, *, action_id: UUID, audit_id: UUID, action: str, owner: str, due_on: date,
    created_by: str,
) -> None:  # fmt: skip
    await conn.execute(
        """
        INSERT INTO learning_action (action_id, audit_id, action, owner, due_on, created_by)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        action_id, audit_id, action, owner, due_on, created_by,
    )  # fmt: skip


async def get_action(conn: Conn, action_id: UUID) -> StoredAction | None:
    row = await conn.fetchrow(f"{_SELECT} WHERE a.action_id = $1", action_id)
    return _action(row) if row is not None else None


async def actions_of_audit(conn: Conn, audit_id: UUID) -> list[StoredAction]:
    rows = await conn.fetch(f"{_SELECT} WHERE a.audit_id = $1 ORDER BY a.created_at", audit_id)
    return [_action(row) for row in rows]


async def update_action(
    conn: Conn,
    action_id: UUID,
    *,
    status: ActionStatus | None,
    owner: str | None,
    due_on: date | None,
    now: datetime,
) -> None:
    """Change what is given; marking it done stamps `done_at`, reopening clears it."""
    await conn.execute(
        """
        UPDATE learning_action
        SET status = coalesce($2, status), owner = coalesce($3, owner),
            due_on = coalesce($4, due_on),
            done_at = CASE WHEN $2 = 'done' THEN coalesce(done_at, $5)
                           WHEN $2 = 'open' THEN NULL ELSE done_at END
        WHERE action_id = $1
        """,
        action_id, status.value if status else None, owner, due_on, now,
    )  # fmt: skip


async def overdue_actions(conn: Conn, today: date) -> list[StoredAction]:
    """Open actions whose due date has passed (due before `today`), oldest first."""
    rows = await conn.fetch(
        f"{_SELECT} WHERE a.status = 'open' AND a.due_on < $1 ORDER BY a.due_on, a.action_id",
        today,
    )
    return [_action(row) for row in rows]
