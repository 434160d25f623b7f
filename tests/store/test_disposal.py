"""Disposal under the retention schedule against a real PostgreSQL: due by each rule or not,
stopped by a hold of either kind until it is lifted, done once, audited without personal data,
and the case record otherwise still append-only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from domain.retention import RetentionSchedule
from store import disposal, legal_hold
from store.audit_event import list_audit_events
from store.disposal import DueCase, Outcome
from store.pool import Conn
from tests.store.record_factory import Case, make_case, sealer_for_tests

SCHEDULE = RetentionSchedule()
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 2, tzinfo=UTC)
NHS_KEY = "n" * 64
MATCH_KEY = "m" * 64


async def _due(conn: Conn, today: date = TODAY) -> dict[UUID, DueCase]:
    found: dict[UUID, DueCase] = {}
    async for page in disposal.due_cases(conn, SCHEDULE, today, page=2):
        found.update((d.referral_id, d) for d in page)
    return found


async def _dispose(conn: Conn, case: Case) -> disposal.Disposal:
    async with conn.transaction():
        return await disposal.dispose(
            conn, case.referral_id, SCHEDULE, TODAY, actor="records.officer", at=NOW
        )


async def test_each_rule_decides_when_a_case_is_due(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        # Closed in 2012, 21 in 2016: due by adulthood+3y.
        by_adulthood = await make_case(conn, sealer, adult_on=date(2013, 1, 1))
        # Adult long before it closed in 2022: due on 4 March 2025, by closure+3y.
        by_closure = await make_case(
            conn, sealer, adult_on=date(2004, 1, 1), closed_at=datetime(2022, 3, 4, tzinfo=UTC)
        )
        no_birthday = await make_case(conn, sealer, adult_on=None)
        # Closed long ago but 21 only tomorrow; closed yesterday as an adult; open.
        young = await make_case(conn, sealer, adult_on=date(2023, 6, 2))
        recent = await make_case(
            conn, sealer, adult_on=date(2000, 1, 1), closed_at=NOW - timedelta(days=1)
        )
        closure_tomorrow = await make_case(
            conn, sealer, adult_on=None, closed_at=datetime(2023, 6, 2, 12, tzinfo=UTC)
        )
        still_open = await make_case(conn, sealer, closed_at=None, adult_on=date(2000, 1, 1))

        due = await _due(conn)
        tomorrow = await _due(conn, TODAY + timedelta(days=1))

    assert {k: d.retention.rule for k, d in due.items()} == {
        by_adulthood.referral_id: "adulthood+3y",
        by_closure.referral_id: "closure+3y",
        no_birthday.referral_id: "closure+3y",
    }
    assert not any(d.held for d in due.values())
    assert {young.referral_id, closure_tomorrow.referral_id} < set(tomorrow)
    assert recent.referral_id not in tomorrow and still_open.referral_id not in tomorrow


async def test_disposal_deletes_the_entries_clears_the_child_and_audits_the_rule(
    pool: asyncpg.Pool,
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer, nhs=NHS_KEY, match_key=MATCH_KEY, entries=3)
        kept = await make_case(conn, sealer, closed_at=None)

        result = await _dispose(conn, case)

        entries = await conn.fetchval(
            "SELECT count(*) FROM case_entry WHERE referral_id = $1", case.referral_id
        )
        others = await conn.fetchval(
            "SELECT count(*) FROM case_entry WHERE referral_id = $1", kept.referral_id
        )
        row = await conn.fetchrow("SELECT * FROM referral WHERE referral_id = $1", case.referral_id)
        trail = await list_audit_events(conn, case.workflow_id)
        raw_details = await conn.fetchval(
            "SELECT details::text FROM audit_event WHERE workflow_id = $1", case.workflow_id
        )

    assert result.outcome is Outcome.disposed
    assert (result.rule, result.entries_deleted) == ("adulthood+3y", 3)
    assert entries == 0 and others == 2
    assert row is not None
    assert row["disposed_at"] == NOW
    assert (row["child_nhs_number"], row["child_match_key"], row["child_adult_on"]) == (
        None,
        None,
        None,
    )
    assert row["stage"] == "closed" and row["source_code"] == "3A"  # the statistics stay
    [event] = trail
    assert (event.kind, event.actor, event.occurred_at) == (
        "record_disposed",
        "records.officer",
        NOW,
    )
    assert event.details == {
        "referral_id": str(case.referral_id),
        "rule": "adulthood+3y",
        "entries_deleted": 3,
        "people_deleted": 0,
        "people_kept": 0,
        "links_deleted": 0,
        "entities_deleted": 0,
    }
    # Nothing about the child: no identifier, no birthday or date it implies, no entry text.
    for personal in (NHS_KEY, MATCH_KEY, "2013", "2016", "referrer said"):
        assert personal not in raw_details


async def test_a_disposed_case_is_not_disposed_again(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer)
        first = await _dispose(conn, case)
        due_after = await _due(conn)
        second = await _dispose(conn, case)
        events = await conn.fetchval(
            "SELECT count(*) FROM audit_event WHERE workflow_id = $1", case.workflow_id
        )

    assert first.outcome is Outcome.disposed
    assert case.referral_id not in due_after
    assert second.outcome is Outcome.not_due
    assert events == 1


async def test_a_case_not_due_is_left_alone_even_if_asked(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        young = await make_case(conn, sealer, adult_on=date(2025, 1, 1))
        still_open = await make_case(conn, sealer, closed_at=None)
        results = [await _dispose(conn, young), await _dispose(conn, still_open)]
        entries = await conn.fetchval("SELECT count(*) FROM case_entry")

    assert [r.outcome for r in results] == [Outcome.not_due, Outcome.not_due]
    assert entries == 4


@pytest.mark.parametrize("scope", ["referral", "child by NHS", "child by name"])
async def test_a_hold_stops_disposal_until_it_is_lifted(pool: asyncpg.Pool, scope: str) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer, nhs=NHS_KEY, match_key=MATCH_KEY)
        # A child's hold placed from another (open) referral of the same child.
        sibling = await make_case(conn, sealer, closed_at=None, nhs=NHS_KEY, match_key=MATCH_KEY)
        hold = await legal_hold.place_hold(
            conn,
            placed_from=case.referral_id if scope == "referral" else sibling.referral_id,
            referral_id=case.referral_id if scope == "referral" else None,
            child_key={"referral": None, "child by NHS": NHS_KEY, "child by name": MATCH_KEY}[
                scope
            ],
            reason="inquiry moratorium",
            placed_by="records.officer",
            at=NOW,
        )

        due = await _due(conn)
        held = await _dispose(conn, case)
        entries_held = await conn.fetchval(
            "SELECT count(*) FROM case_entry WHERE referral_id = $1", case.referral_id
        )
        await legal_hold.lift_hold(conn, hold.hold_id, lifted_by="records.officer", at=NOW)
        due_lifted = await _due(conn)
        disposed = await _dispose(conn, case)

    assert due[case.referral_id].hold_ids == [hold.hold_id]
    assert held.outcome is Outcome.held and held.hold_ids == [hold.hold_id]
    assert entries_held == 2
    assert not due_lifted[case.referral_id].held
    assert disposed.outcome is Outcome.disposed


async def test_the_record_still_refuses_a_plain_delete_or_update(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer)
        with pytest.raises(asyncpg.RaiseError, match="append-only: DELETE"):
            await conn.execute("DELETE FROM case_entry WHERE referral_id = $1", case.referral_id)
        with pytest.raises(asyncpg.RaiseError, match="append-only: UPDATE"):
            await conn.execute(
                "UPDATE case_entry SET body = '\\x00' WHERE referral_id = $1", case.referral_id
            )
        # Re-sealing may change the key and body, and nothing else.
        async with conn.transaction():
            await conn.execute("SET LOCAL frontdoor.record_write = 'reseal'")
            with pytest.raises(asyncpg.RaiseError, match="append-only: UPDATE"):
                await conn.execute(
                    "UPDATE case_entry SET actor = 'someone else' WHERE referral_id = $1",
                    case.referral_id,
                )
        # The permission lasts only for the disposing transaction.
        async with conn.transaction():
            await conn.execute("SET LOCAL frontdoor.record_write = 'dispose'")
        with pytest.raises(asyncpg.RaiseError, match="append-only: DELETE"):
            await conn.execute("DELETE FROM case_entry WHERE referral_id = $1", case.referral_id)
        entries = await conn.fetchval("SELECT count(*) FROM case_entry")

    assert entries == 2


async def test_dispose_needs_the_callers_transaction(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer_for_tests())
        with pytest.raises(RuntimeError, match="transaction"):
            await disposal.dispose(conn, case.referral_id, SCHEDULE, TODAY, actor="a", at=NOW)


async def test_disposal_clears_what_auditors_wrote_and_keeps_their_grades(
    pool: asyncpg.Pool,
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer, adult_on=date(2013, 1, 1))
        sample_id, audit_id = uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            "INSERT INTO audit_sample (sample_id, month, seed, rules, drawn_by)"
            " VALUES ($1, '2012-03-01', 7, '{}', 'mo')",
            sample_id,
        )
        await conn.execute(
            "INSERT INTO audit (audit_id, sample_id, referral_id, reasons, auditor, status,"
            " overall_grade, rationale_key, rationale)"
            " VALUES ($1, $2, $3, '{random}', 'aud', 'submitted', 'good', 'k', '\\x01')",
            audit_id, sample_id, case.referral_id,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO audit_answer (audit_id, question, grade, evidence_key, evidence)"
            " VALUES ($1, 'child_seen', 'good', 'k', '\\x02')",
            audit_id,
        )
        await _dispose(conn, case)
        audit = await conn.fetchrow(
            "SELECT overall_grade, rationale_key, rationale FROM audit WHERE audit_id = $1",
            audit_id,
        )
        answer = await conn.fetchrow(
            "SELECT grade, evidence_key, evidence FROM audit_answer WHERE audit_id = $1", audit_id
        )

    assert audit is not None and answer is not None
    assert tuple(audit) == ("good", "disposed", b"")
    assert tuple(answer) == ("good", "disposed", b"")
