"""Queries on `staff`: who has signed in, with the roles, agency and teams their last token
named (written by the API as requests arrive, at most once per user every few minutes), and
whether someone may be given a team's task. Callers own the connection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.pool import Conn


@dataclass(frozen=True)
class StaffMember:
    user_id: str
    name: str
    roles: list[str]
    agency: str | None
    teams: list[str]
    last_seen: datetime


async def saw(
    conn: Conn,
    *,
    user_id: str,
    name: str,
    roles: list[str],
    agency: str | None,
    teams: list[str],
) -> None:
    """Record that `user_id` made a request now, with what their token said."""
    await conn.execute(
        """
        INSERT INTO staff (user_id, name, roles, agency, teams)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (user_id) DO UPDATE
        SET name = EXCLUDED.name, roles = EXCLUDED.roles, agency = EXCLUDED.agency,
            teams = EXCLUDED.teams, last_seen = now()
        """,
        user_id, name, roles, agency, teams,
    )  # fmt: skip


async def get_staff(conn: Conn, user_id: str) -> StaffMember | None:
    row = await conn.fetchrow(
        "SELECT user_id, name, roles, agency, teams, last_seen FROM staff WHERE user_id = $1",
        user_id,
    )
    return StaffMember(**dict(row)) if row is not None else None


async def with_roles(conn: Conn, roles: list[str]) -> list[str]:
    """The user ids of staff whose last token held any of `roles`, in order."""
    rows = await conn.fetch(
        "SELECT user_id FROM staff WHERE roles && $1::text[] ORDER BY user_id", roles
    )
    return [row["user_id"] for row in rows]
