"""The case read model's queries against a real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from domain.case import CaseProgress, Deadline, Milestone, Stage
from domain.policy import DecisionOutcome, Rag
from domain.record import ChildKeys
from domain.records import RegisterReferralInput
from domain.tasks import ExploitationRisk
from store.pool import Conn
from store.referral import (
    apply_progress,
    find_earlier_referrals,
    mark_re_referral,
    upsert_referral,
)
from tests.workflows.driver import referral_details

RECEIVED = datetime(2026, 5, 22, 15, tzinfo=UTC)
NHS = "9434765919"
MATCH = "a" * 64


# The keys each test referral was made with, as the activity would have keyed them.
_KEYS: dict[uuid.UUID, ChildKeys] = {}


def referral(
    *,
    received_at: datetime = RECEIVED,
    nhs_number: str | None = None,
    match_key: str | None = None,
    progress: CaseProgress | None = None,
) -> RegisterReferralInput:
    referral_id = uuid.uuid4()
    _KEYS[referral_id] = ChildKeys(nhs=nhs_number, name_dob=match_key, adult_on=date(2037, 3, 1))
    return RegisterReferralInput(
        workflow_id=f"referral-{referral_id}",
        referral_id=referral_id,
        received_at=received_at,
        source="3A",
        policy_version="england-2023",
        details=referral_details(received_at),
        progress=progress
        or CaseProgress(
            revision=1,
            stage=Stage.screening,
            deadlines={Deadline.screening: received_at + timedelta(hours=2)},
        ),
    )


async def insert(conn: Conn, new: RegisterReferralInput) -> bool:
    return await upsert_referral(conn, new, _KEYS[new.referral_id])


async def test_upsert_inserts_once_with_the_progress(pool: asyncpg.Pool) -> None:
    new = referral(nhs_number=NHS, match_key=MATCH)
    async with pool.acquire() as conn:
        assert await insert(conn, new)
        assert not await insert(conn, new)
        rows = await conn.fetch("SELECT * FROM referral")

    assert len(rows) == 1
    row = rows[0]
    assert row["referral_id"] == new.referral_id
    assert row["workflow_id"] == new.workflow_id
    assert row["source_code"] == "3A"
    assert row["child_nhs_number"] == NHS and row["child_match_key"] == MATCH
    assert row["child_adult_on"] == date(2037, 3, 1)
    assert row["revision"] == 1 and row["stage"] == "screening"
    assert row["screening_due_at"] == RECEIVED + timedelta(hours=2)
    assert json.loads(row["deadlines"]) == {"screening": "2026-05-22T17:00:00Z"}
    assert json.loads(row["milestones"]) == {}


async def test_earlier_referrals_by_nhs_number_or_match_key_within_365_days(
    pool: asyncpg.Pool,
) -> None:
    now = referral(nhs_number=NHS, match_key=MATCH)
    by_nhs = referral(received_at=RECEIVED - timedelta(days=30), nhs_number=NHS)
    by_key = referral(received_at=RECEIVED - timedelta(days=364), match_key=MATCH)
    on_boundary = referral(received_at=RECEIVED - timedelta(days=365), nhs_number=NHS)
    too_old = referral(received_at=RECEIVED - timedelta(days=366), nhs_number=NHS)
    later = referral(received_at=RECEIVED + timedelta(days=1), nhs_number=NHS)
    same_instant = referral(received_at=RECEIVED, nhs_number=NHS)
    other_child = referral(
        received_at=RECEIVED - timedelta(days=1), nhs_number="4857773456", match_key="b" * 64
    )
    async with pool.acquire() as conn:
        for r in (now, by_nhs, by_key, on_boundary, too_old, later, same_instant, other_child):
            await insert(conn, r)

        found = await find_earlier_referrals(
            conn, now.referral_id, RECEIVED, ChildKeys(nhs=NHS, name_dob=MATCH)
        )
        only_key = await find_earlier_referrals(
            conn, now.referral_id, RECEIVED, ChildKeys(nhs=None, name_dob=MATCH)
        )
        no_keys = await find_earlier_referrals(
            conn, now.referral_id, RECEIVED, ChildKeys(nhs=None, name_dob=None)
        )

    assert found == [by_nhs.referral_id, by_key.referral_id, on_boundary.referral_id]
    assert only_key == [by_key.referral_id]
    assert no_keys == []


async def test_a_referral_is_not_its_own_earlier_referral(pool: asyncpg.Pool) -> None:
    only = referral(nhs_number=NHS, match_key=MATCH)
    async with pool.acquire() as conn:
        await insert(conn, only)
        later_lookup = RECEIVED + timedelta(days=1)
        assert (
            await find_earlier_referrals(
                conn, only.referral_id, later_lookup, ChildKeys(nhs=NHS, name_dob=MATCH)
            )
            == []
        )


async def test_progress_applies_only_when_newer(pool: asyncpg.Pool) -> None:
    new = referral()
    decided = datetime(2026, 5, 22, 17, tzinfo=UTC)
    newer = CaseProgress(
        revision=5,
        stage=Stage.strategy_discussion,
        rag=Rag.red,
        immediate_risk=True,
        escalation_level=2,
        outcome=DecisionOutcome.strategy_discussion,
        exploitation_risk=ExploitationRisk.emerging,
        deadlines={
            Deadline.screening: RECEIVED + timedelta(hours=2),
            Deadline.checks: RECEIVED + timedelta(hours=3),
            Deadline.mash_decision: RECEIVED + timedelta(hours=4),
            Deadline.referral_decision: RECEIVED + timedelta(days=1, hours=4),
            Deadline.acknowledgement: RECEIVED + timedelta(days=1),
            Deadline.referrer_feedback: RECEIVED + timedelta(days=3),
            Deadline.strategy_discussion: RECEIVED + timedelta(days=1),
            Deadline.visit: RECEIVED + timedelta(days=2),
        },
        milestones={
            Milestone.screened: RECEIVED + timedelta(hours=1),
            Milestone.mash_decided: decided,
            Milestone.referred: decided,
            Milestone.referral_decided: decided,
        },
        recorded_at=RECEIVED + timedelta(minutes=5),
        referral_at=decided,
    )
    older = CaseProgress(revision=4, stage=Stage.decision, rag=Rag.amber)
    async with pool.acquire() as conn:
        await insert(conn, new)
        assert await apply_progress(conn, new.workflow_id, newer)
        assert not await apply_progress(conn, new.workflow_id, older)
        assert not await apply_progress(conn, new.workflow_id, newer)  # same revision: a retry
        row = await conn.fetchrow("SELECT * FROM referral WHERE workflow_id = $1", new.workflow_id)

    assert row is not None
    assert row["revision"] == 5
    assert (row["stage"], row["rag"], row["immediate_risk"]) == ("strategy_discussion", "red", True)
    assert (row["escalation_level"], row["outcome"], row["exploitation_risk"]) == (
        2,
        "strategy_discussion",
        "emerging",
    )
    assert row["checks_due_at"] == RECEIVED + timedelta(hours=3)
    assert row["mash_decision_due_at"] == RECEIVED + timedelta(hours=4)
    assert row["referral_decision_due_at"] == RECEIVED + timedelta(days=1, hours=4)
    assert row["acknowledgement_due_at"] == RECEIVED + timedelta(days=1)
    assert row["referrer_feedback_due_at"] == RECEIVED + timedelta(days=3)
    assert row["strategy_due_at"] == RECEIVED + timedelta(days=1)
    assert row["visit_due_at"] == RECEIVED + timedelta(days=2)
    assert row["screened_at"] == RECEIVED + timedelta(hours=1)
    assert row["mash_decided_at"] == row["referral_decided_at"] == row["referral_at"] == decided
    assert (row["recorded_at"], row["recording_minutes"]) == (RECEIVED + timedelta(minutes=5), 5)
    assert row["referral_decision_minutes"] == 0
    assert row["child_seen_at"] is None and row["closed_at"] is None
    assert json.loads(row["deadlines"])["checks"] == "2026-05-22T18:00:00Z"  # the jsonb copy
    assert json.loads(row["milestones"]) == {
        "screened": "2026-05-22T16:00:00Z",
        "mash_decided": "2026-05-22T17:00:00Z",
        "referred": "2026-05-22T17:00:00Z",
        "referral_decided": "2026-05-22T17:00:00Z",
    }


async def test_a_found_re_referral_is_not_undone_by_later_progress(pool: asyncpg.Pool) -> None:
    new = referral()
    async with pool.acquire() as conn:
        await insert(conn, new)
        await mark_re_referral(conn, new.workflow_id)
        assert await apply_progress(
            conn, new.workflow_id, CaseProgress(revision=2, stage=Stage.checks)
        )
        assert await conn.fetchval(
            "SELECT re_referral FROM referral WHERE workflow_id = $1", new.workflow_id
        )
