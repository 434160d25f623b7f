"""Queries on `person_match` (a screener's decision that a candidate is, or is not, the same
person: one row on each record) and `person_access` (every time a partner was shown a person's
details). Both append-only; callers own the connection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.people import MatchDecision
from store.pool import Conn


@dataclass(frozen=True)
class MatchRecorded:
    person_id: UUID
    candidate_id: UUID
    decision: MatchDecision
    score: float | None
    decided_by: str
    decided_at: datetime


async def record_decision(
    conn: Conn,
    person_id: UUID,
    candidate_id: UUID,
    decision: MatchDecision,
    score: float | None,
    decided_by: str,
) -> MatchRecorded:
    """The decision on both records, at one instant."""
    decided_at: datetime = await conn.fetchval(
        """
        INSERT INTO person_match (person_id, candidate_id, decision, score, decided_by, decided_at)
        VALUES ($1, $2, $3, $4, $5, now()), ($2, $1, $3, $4, $5, now())
        RETURNING decided_at
        """,
        person_id, candidate_id, decision.value, score, decided_by,
    )  # fmt: skip
    return MatchRecorded(person_id, candidate_id, decision, score, decided_by, decided_at)


async def decisions_of(conn: Conn, person_id: UUID) -> list[MatchRecorded]:
    """Every decision recorded on the person's record, oldest first."""
    rows = await conn.fetch(
        """
        SELECT person_id, candidate_id, decision, score, decided_by, decided_at
        FROM person_match WHERE person_id = $1 ORDER BY decided_at, match_id
        """,
        person_id,
    )
    return [
        MatchRecorded(
            person_id=row["person_id"],
            candidate_id=row["candidate_id"],
            decision=MatchDecision(row["decision"]),
            score=row["score"],
            decided_by=row["decided_by"],
            decided_at=row["decided_at"],
        )
        for row in rows
    ]


async def record_reads(
    conn: Conn,
    person_ids: list[UUID],
    *,
    user_id: str,
    agency: str | None,
    referral_id: UUID | None,
    task_id: UUID | None,
    route: str,
) -> None:
    """A partner was shown these people's details."""
    await conn.executemany(
        """
        INSERT INTO person_access (person_id, user_id, agency, referral_id, task_id, route)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        [(p, user_id, agency, referral_id, task_id, route) for p in person_ids],
    )


async def reads_of(conn: Conn, person_id: UUID) -> list[dict[str, object]]:
    rows = await conn.fetch(
        """
        SELECT at, user_id, agency, referral_id, task_id, route
        FROM person_access WHERE person_id = $1 ORDER BY at, access_id
        """,
        person_id,
    )
    return [dict(row) for row in rows]
