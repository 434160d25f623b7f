"""The managers' list of cases, from the read model: filters on codes and times only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.pool import Conn


@dataclass(frozen=True)
class CaseFilter:
    stage: str | None = None
    rag: str | None = None
    overdue: bool | None = None
    escalation_level_gte: int | None = None
    re_referral: bool | None = None


def _where(f: CaseFilter, now: datetime) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.stage is not None:
        clauses.append(f"stage = {arg(f.stage)}")
    if f.rag is not None:
        clauses.append(f"rag = {arg(f.rag)}")
    if f.overdue is True:
        clauses.append(f"next_due_at <= {arg(now)}")
    elif f.overdue is False:
        clauses.append(f"(next_due_at IS NULL OR next_due_at > {arg(now)})")
    if f.escalation_level_gte is not None:
        clauses.append(f"escalation_level >= {arg(f.escalation_level_gte)}")
    if f.re_referral is not None:
        clauses.append(f"re_referral = {arg(f.re_referral)}")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


async def list_cases(
    conn: Conn, f: CaseFilter, *, now: datetime, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of cases sorted by next due time (cases with nothing due last), and the total."""
    where, args = _where(f, now)
    n = len(args)
    rows = await conn.fetch(
        f"""
        SELECT referral_id, received_at, stage, rag, next_due_at, escalation_level, re_referral,
               outcome, coalesce(next_due_at <= ${n + 1}, false) AS overdue
        FROM referral{where}
        ORDER BY next_due_at ASC NULLS LAST, received_at, referral_id
        LIMIT ${n + 2} OFFSET ${n + 3}
        """,
        *args,
        now,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM referral{where}", *args)
    return [dict(row) for row in rows], int(total)


async def agency_has_task(conn: Conn, workflow_id: str, team: str) -> bool:
    """Whether a partner's team was asked anything on this case."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM task WHERE workflow_id = $1 AND team = $2)",
            workflow_id,
            team,
        )
    )
