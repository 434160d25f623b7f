"""Queries on `improvement_action`: the improvement plan's actions (owner, due date, status,
evidence), none of them about a child. Callers own the connection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.quality import PlanStatus
from store.pool import Conn


@dataclass(frozen=True)
class PlanAction:
    action_id: UUID
    action: str
    owner: str
    due_on: date
    status: PlanStatus
    evidence: str | None
    updated_by: str
    updated_at: datetime


_SELECT = """SELECT action_id, action, owner, due_on, status, evidence, updated_by, updated_at
    FROM improvement_action"""


def _action(row: object) -> PlanAction:
    r = dict(row)  # type: ignore[call-overload]
    return PlanAction(**{**r, "status": PlanStatus(r["status"])})


async def insert_plan_action(
    conn: Conn, *, action_id: UUID, action: str, owner: str, due_on: date, by: str
) -> None:
    await conn.execute(
        "INSERT INTO improvement_action (action_id, action, owner, due_on, updated_by)"
        " VALUES ($1, $2, $3, $4, $5)",
        action_id, action, owner, due_on, by,
    )  # fmt: skip


async def update_plan_action(
    conn: Conn,
    action_id: UUID,
    *,
    status: PlanStatus | None,
    evidence: str | None,
    owner: str | None,
    due_on: date | None,
    by: str,
) -> bool:
    """Change what is given; False when there is no such action."""
    result = await conn.execute(
        """
        UPDATE improvement_action
        SET status = coalesce($2, status), evidence = coalesce($3, evidence),
            owner = coalesce($4, owner), due_on = coalesce($5, due_on),
            updated_by = $6, updated_at = now()
        WHERE action_id = $1
        """,
        action_id, status.value if status else None, evidence, owner, due_on, by,
    )  # fmt: skip
    return bool(result.endswith(" 1"))


async def get_plan_action(conn: Conn, action_id: UUID) -> PlanAction | None:
    row = await conn.fetchrow(f"{_SELECT} WHERE action_id = $1", action_id)
    return _action(row) if row is not None else None


async def plan(conn: Conn) -> list[PlanAction]:
    """The whole plan, by due date."""
    rows = await conn.fetch(f"{_SELECT} ORDER BY due_on, action_id")
    return [_action(row) for row in rows]
