"""Queries on `audit_sample`: a drawn sample (month, seed and rules, so it can be repeated), and
the cases a month's sample is drawn from (closed in that London month). Callers own the
connection and any transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.quality import Candidate, SampleRules
from store.pool import Conn


@dataclass(frozen=True)
class StoredSample:
    sample_id: UUID
    month: date
    seed: int
    rules: SampleRules
    drawn_by: str
    drawn_at: datetime


async def insert_sample(
    conn: Conn, *, sample_id: UUID, month: date, seed: int, rules: SampleRules, drawn_by: str
) -> None:
    await conn.execute(
        """
        INSERT INTO audit_sample (sample_id, month, seed, rules, drawn_by)
        VALUES ($1, $2, $3, $4::jsonb, $5)
        """,
        sample_id, month, seed, rules.model_dump_json(), drawn_by,
    )  # fmt: skip


async def get_sample(conn: Conn, sample_id: UUID) -> StoredSample | None:
    row = await conn.fetchrow(
        "SELECT sample_id, month, seed, rules, drawn_by, drawn_at FROM audit_sample"
        " WHERE sample_id = $1",
        sample_id,
    )
    if row is None:
        return None
    values = dict(row)
    values["rules"] = SampleRules.model_validate(json.loads(values["rules"]))
    return StoredSample(**values)


async def closed_in_month(conn: Conn, month: date) -> list[Candidate]:
    """The cases closed in `month` (London time), with what the sampling rules look at."""
    rows = await conn.fetch(
        """
        SELECT referral_id, re_referral, outcome, escalation_level, exploitation_risk
        FROM referral
        WHERE closed_at >= ($1::date)::timestamp AT TIME ZONE 'Europe/London'
          AND closed_at < (($1::date + interval '1 month')::timestamp) AT TIME ZONE 'Europe/London'
        ORDER BY referral_id
        """,
        month,
    )
    return [Candidate(**dict(row)) for row in rows]
