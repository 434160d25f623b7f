"""Queries on `access_event`: who read or changed what through the API (written by the access
log middleware, api/access_log.py), and every access to a case as managers see it. Callers own
the connection."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from store.pool import Conn


async def record_access(
    conn: Conn,
    *,
    user_id: str,
    roles: list[str],
    agency: str | None,
    method: str,
    route: str,
    referral_id: UUID | None,
    task_id: UUID | None,
    status: int,
    client_ip: str | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO access_event
            (user_id, roles, agency, method, route, referral_id, task_id, status, client_ip)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        user_id, roles, agency, method, route, referral_id, task_id, status, client_ip,
    )  # fmt: skip


async def case_accesses(conn: Conn, referral_id: UUID) -> list[dict[str, Any]]:
    """Every access to the case or to one of its tasks, oldest first."""
    rows = await conn.fetch(
        """
        SELECT a.at, a.user_id, a.roles, a.agency, a.method, a.route, a.task_id, a.status,
               a.client_ip
        FROM access_event a
        WHERE a.referral_id = $1
           OR a.task_id IN (SELECT task_id FROM task WHERE referral_id = $1)
        ORDER BY a.at, a.access_id
        """,
        referral_id,
    )
    return [dict(row) for row in rows]
