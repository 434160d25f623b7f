"""Migration 0013 (the process change) keeps rows written under the old keys readable: their
jsonb keys renamed, an old decision that made a referral read as a referral made and decided at
once, and the workflow's old `referrer_told` stamp kept out of the referrer measure."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from domain.case import Deadline, Milestone
from store.migrate import load_migrations
from store.referral import get_referral

RECEIVED = datetime(2026, 3, 2, 10, tzinfo=UTC)
DECIDED = RECEIVED + timedelta(hours=3)


async def _old_row(conn: asyncpg.Connection, outcome: str) -> uuid.UUID:
    referral_id = uuid.uuid4()
    await conn.execute(
        """
        INSERT INTO referral (referral_id, workflow_id, policy_version, received_at, source_code,
            stage, outcome, decision_due_at, decided_at, referrer_told_due_at, referrer_told_at,
            closed_at, deadlines, milestones)
        VALUES ($1, $2, 'england-2023', $3, '3A', 'closed', $4, $5, $6, $7, $8, $8,
                $9::jsonb, $10::jsonb)
        """,
        referral_id,
        f"referral-{referral_id}",
        RECEIVED,
        outcome,
        RECEIVED + timedelta(hours=4),
        DECIDED,
        DECIDED + timedelta(days=1),
        DECIDED + timedelta(minutes=1),
        json.dumps({"decision": "2026-03-02T14:00:00Z", "referrer_told": "2026-03-03T13:00:00Z"}),
        json.dumps({"screened": "2026-03-02T11:00:00Z", "decided": "2026-03-02T13:00:00Z"}),
    )
    return referral_id


async def test_old_rows_read_under_the_new_keys(empty_database_url: str) -> None:
    migrations = {m.version: m for m in load_migrations()}
    conn = await asyncpg.connect(empty_database_url)
    try:
        # schema_migration as the runner makes it (0010 revokes the app's rights on it).
        await conn.execute("CREATE TABLE schema_migration (version integer PRIMARY KEY)")
        for version in sorted(v for v in migrations if v < 13):
            await conn.execute(migrations[version].sql)
        advice = await _old_row(conn, "advice")
        assessment = await _old_row(conn, "assessment")
        await conn.execute(migrations[13].sql)

        contact = await get_referral(conn, advice)
        referral = await get_referral(conn, assessment)
        row = await conn.fetchrow("SELECT * FROM referral WHERE referral_id = $1", assessment)
        closed_contact = await conn.fetchrow(
            "SELECT referral_at, referral_decided_at FROM referral WHERE referral_id = $1", advice
        )
    finally:
        await conn.close()

    assert contact is not None and referral is not None and row is not None
    assert set(contact.deadlines) == {Deadline.mash_decision, Deadline.referrer_feedback}
    assert contact.milestones == {
        Milestone.screened: RECEIVED + timedelta(hours=1),
        Milestone.mash_decided: DECIDED,
    }
    assert closed_contact is not None and tuple(closed_contact) == (None, None)  # a contact closed
    assert referral.milestones[Milestone.referred] == DECIDED
    assert referral.milestones[Milestone.referral_decided] == DECIDED
    assert (row["referral_at"], row["referral_decided_at"], row["mash_decided_at"]) == (
        DECIDED,
        DECIDED,
        DECIDED,
    )
    assert row["mash_decision_due_at"] == RECEIVED + timedelta(hours=4)
    assert row["referral_decision_minutes"] == 0
    # The stamp stays as a record; its due time is gone from the typed column the measure reads.
    assert row["referrer_told_at"] == DECIDED + timedelta(minutes=1)
    assert row["referrer_feedback_due_at"] is None
