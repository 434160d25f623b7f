"""Disposal reaches the people and links of a record, against a real PostgreSQL: a disposed
case's child and household go with their relationships, match decisions and the case's links;
people, places, groups and adults of concern a live (or held) case still has stay, linked only to
what remains; a held case keeps everything; a dry run's plan is what disposal then does; records
disposed of earlier have their remains cleared; the tables still refuse plain deletes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import asyncpg
import pytest

from domain.links import EntityKind
from domain.people import PersonKind, RelationshipKind
from domain.retention import RetentionSchedule
from store import case_entry, disposal, legal_hold, person_match, referral
from store.disposal import Outcome
from store.pool import Conn
from tests.store import people_factory as pf
from tests.store.record_factory import Case, make_case, sealer_for_tests

SCHEDULE = RetentionSchedule()
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 2, tzinfo=UTC)
ADULT, HOUSEHOLD, SUBJECT = PersonKind.adult, "household", "subject"


async def _dispose(conn: Conn, case: Case) -> disposal.Disposal:
    async with conn.transaction():
        return await disposal.dispose(
            conn, case.referral_id, SCHEDULE, TODAY, actor="records.officer", at=NOW
        )


async def test_a_disposed_case_takes_its_people_and_links_and_leaves_the_live_case_whole(
    pool: asyncpg.Pool,
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        # One contact about two children: Sam's case is due, Alex's (the sibling) still open.
        sam_case = await make_case(conn, sealer)
        alex_case = await make_case(conn, sealer, closed_at=None)
        r, live = sam_case.referral_id, alex_case.referral_id
        sam = await pf.person(conn, sealer, "Sam Example", cases=((r, SUBJECT),))
        alex = await pf.person(conn, sealer, "Alex Example", cases=((live, SUBJECT),))
        # Mum is in both cases' households; the lodger only in Sam's.
        mum = await pf.person(conn, sealer, "Jo Example", kind=ADULT,
                              cases=((r, HOUSEHOLD), (live, HOUSEHOLD)))  # fmt: skip
        lodger = await pf.person(conn, sealer, "Lee Lodger", kind=ADULT, cases=((r, HOUSEHOLD),))
        await pf.relate(conn, sam, alex, RelationshipKind.sibling, r)
        for adult in (mum, lodger):
            for child in (sam, alex):
                await pf.relate(conn, adult, child, RelationshipKind.household, r)
        await pf.decide(conn, sam, alex)
        await person_match.record_reads(conn, [sam], user_id="duty.police", agency="police",
                                        referral_id=r, task_id=None, route="/tasks")  # fmt: skip
        # Sam's case is linked to a place only it knows, a group both cases are in, a place the
        # live case was linked to once (ended), the lodger and mum as adults of concern.
        arcade = await pf.place(conn, sealer)
        group = await pf.peer_group(conn, sealer)
        park = await pf.place(conn, sealer, "The park")
        lodger_adult = await pf.adult(conn, sealer, lodger)
        mum_adult = await pf.adult(conn, sealer, mum)
        for ref in (arcade, group, park, lodger_adult, mum_adult):
            await pf.link(conn, sealer, r, ref)
        kept_links = {
            await pf.link(conn, sealer, live, group),
            await pf.link(conn, sealer, live, park, ended=True),
        }

        result = await _dispose(conn, sam_case)

        left = await pf.people_left(conn, sam, alex, mum, lodger)
        in_cases = await conn.fetch("SELECT referral_id, person_id FROM case_person")
        related = await conn.fetch("SELECT person_id, related_id FROM person_relationship")
        matches = await conn.fetchval("SELECT count(*) FROM person_match")
        links = await conn.fetch("SELECT link_id, referral_id FROM case_link")
        places = {row[0] for row in await conn.fetch("SELECT place_id FROM place")}
        groups = await conn.fetchval("SELECT count(*) FROM peer_group")
        adults = await conn.fetchval("SELECT count(*) FROM adult_of_concern")
        reads = await conn.fetchval("SELECT count(*) FROM person_access")
        raw = await conn.fetchval(
            "SELECT details::text FROM audit_event WHERE workflow_id = $1", sam_case.workflow_id
        )

    assert result.outcome is Outcome.disposed
    assert (result.people_deleted, result.people_kept) == (2, 1)  # Sam and the lodger; mum stays
    assert (result.links_deleted, result.entities_deleted) == (5, 3)
    assert left == {alex, mum}
    assert {(row["referral_id"], row["person_id"]) for row in in_cases} == {
        (live, alex),
        (live, mum),
    }
    assert {(row["person_id"], row["related_id"]) for row in related} == {(mum, alex), (alex, mum)}
    assert matches == 0  # the decision on Sam, on both records
    assert {row["link_id"] for row in links} == kept_links
    assert {row["referral_id"] for row in links} == {live}
    assert places == {park[1]}  # the arcade went; the park the live case was linked to stays
    assert (groups, adults) == (1, 0)
    assert reads == 1  # who was shown a person stays in the access trail (ids only)
    assert json.loads(raw) == {
        "referral_id": str(r),
        "rule": "adulthood+3y",
        "entries_deleted": 2,
        "people_deleted": 2,
        "people_kept": 1,
        "links_deleted": 5,
        "entities_deleted": 3,
    }
    for personal in ("Sam", "Lodger", "Example", "arcade", "lifts"):
        assert personal not in raw


async def test_a_held_case_keeps_its_people_and_links(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer)
        child = await pf.person(conn, sealer, "Sam Example", cases=((case.referral_id, SUBJECT),))
        await pf.person(conn, sealer, "Jo Example", kind=ADULT,
                        cases=((case.referral_id, HOUSEHOLD),))  # fmt: skip
        await pf.link(conn, sealer, case.referral_id, await pf.adult(conn, sealer, child))
        await pf.link(conn, sealer, case.referral_id, await pf.place(conn, sealer))
        hold = await legal_hold.place_hold(
            conn, placed_from=case.referral_id, referral_id=case.referral_id, child_key=None,
            reason="Court order 2026/123", placed_by="records.officer", at=NOW,
        )  # fmt: skip
        before = await pf.counts(conn)

        held = await _dispose(conn, case)
        after_held = await pf.counts(conn)
        await legal_hold.lift_hold(conn, hold.hold_id, lifted_by="records.officer", at=NOW)
        lifted = await _dispose(conn, case)
        after = await pf.counts(conn)

    assert held.outcome is Outcome.held and after_held == before
    assert lifted.outcome is Outcome.disposed
    assert (lifted.people_deleted, lifted.links_deleted, lifted.entities_deleted) == (2, 2, 2)
    assert after == dict.fromkeys(before, 0)


async def test_a_person_on_two_due_cases_goes_with_the_second_as_the_dry_run_said(
    pool: asyncpg.Pool,
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        first, second = await make_case(conn, sealer), await make_case(conn, sealer)
        mum = await pf.person(conn, sealer, "Jo Example", kind=ADULT,
                              cases=((first.referral_id, HOUSEHOLD),
                                     (second.referral_id, HOUSEHOLD)))  # fmt: skip
        group = await pf.peer_group(conn, sealer)
        for case in (first, second):
            await pf.link(conn, sealer, case.referral_id, group)
        plans = [
            await disposal.would_dispose(conn, first.referral_id, set()),
            await disposal.would_dispose(conn, second.referral_id, {first.referral_id}),
        ]
        unchanged = await pf.counts(conn)
        done = [await _dispose(conn, first), await _dispose(conn, second)]

    assert unchanged["person"] == 1 and unchanged["case_link"] == 2  # planning changes nothing
    assert [p.counts() for p in plans] == [
        {"entries_deleted": 2, "people_deleted": 0, "people_kept": 1, "links_deleted": 1,
         "entities_deleted": 0},
        {"entries_deleted": 2, "people_deleted": 1, "people_kept": 0, "links_deleted": 1,
         "entities_deleted": 1},
    ]  # fmt: skip
    assert plans[1].people == [mum]
    assert [(d.people_deleted, d.people_kept, d.entities_deleted) for d in done] == [
        (0, 1, 0),
        (1, 0, 1),
    ]


async def test_a_household_adult_with_no_case_of_their_own_goes_with_their_last_child(
    pool: asyncpg.Pool,
) -> None:
    """An intake added to an open case records its household's adults related to that case's
    child, in no case of their own."""
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case, other = await make_case(conn, sealer), await make_case(conn, sealer, closed_at=None)
        sam = await pf.person(conn, sealer, "Sam Example", cases=((case.referral_id, SUBJECT),))
        kim = await pf.person(conn, sealer, "Kim Other", cases=((other.referral_id, SUBJECT),))
        uncle = await pf.person(conn, sealer, "Ray Uncle", kind=ADULT)
        aunt = await pf.person(conn, sealer, "Di Aunt", kind=ADULT)
        await pf.relate(conn, uncle, sam, RelationshipKind.household, case.referral_id)
        await pf.relate(conn, aunt, sam, RelationshipKind.household, case.referral_id)
        await pf.relate(conn, aunt, kim, RelationshipKind.household, other.referral_id)

        result = await _dispose(conn, case)
        left = await pf.people_left(conn, sam, kim, uncle, aunt)

    assert result.people_deleted == 2 and left == {kim, aunt}


async def test_the_remains_of_a_record_disposed_of_earlier_are_cleared(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer)
        sam = await pf.person(conn, sealer, "Sam Example", cases=((case.referral_id, SUBJECT),))
        await pf.link(conn, sealer, case.referral_id, await pf.place(conn, sealer))
        async with conn.transaction():  # as disposal did before it reached people and links
            await case_entry.dispose_of(conn, case.referral_id)
            await referral.mark_disposed(conn, case.referral_id, NOW)
        found = await disposal.earlier_remains(conn)
        async with conn.transaction():
            result = await disposal.dispose_remains(
                conn, case.referral_id, actor="records.officer", at=NOW
            )
        after = await pf.counts(conn)
        again = await disposal.earlier_remains(conn)
        [event] = await conn.fetch(
            "SELECT kind, details FROM audit_event WHERE workflow_id = $1", case.workflow_id
        )

    assert found == [case.referral_id] and again == []
    assert result.outcome is Outcome.disposed and result.people_deleted == 1
    assert (result.links_deleted, result.entities_deleted) == (1, 1)
    assert after == dict.fromkeys(after, 0)
    assert event["kind"] == "record_remains_disposed"
    assert json.loads(event["details"])["people_deleted"] == 1
    assert str(sam) not in event["details"]


async def test_people_and_links_still_refuse_a_plain_delete_or_update(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer, closed_at=None)
        sam = await pf.person(conn, sealer, "Sam Example", cases=((case.referral_id, SUBJECT),))
        jo = await pf.person(conn, sealer, "Jo Example", kind=ADULT)
        await pf.decide(conn, sam, jo)
        kind, place_id = await pf.place(conn, sealer)
        await pf.link(conn, sealer, case.referral_id, (kind, place_id))
        refused = {
            "case_link": "case_link rows are never deleted",
            "place": "place is append-only: DELETE",
            "person_match": "person_match is append-only: DELETE",
        }
        for table, message in refused.items():
            with pytest.raises(asyncpg.RaiseError, match=message):
                await conn.execute(f"DELETE FROM {table}")
        await person_match.record_reads(conn, [sam], user_id="duty.police", agency="police",
                                        referral_id=None, task_id=None, route="/tasks")  # fmt: skip
        async with conn.transaction():
            # Disposing lets deletes by, never an update, and never in the access trail.
            await conn.execute("SET LOCAL frontdoor.record_write = 'dispose'")
            with pytest.raises(asyncpg.RaiseError, match="place is append-only: UPDATE"):
                async with conn.transaction():
                    await conn.execute("UPDATE place SET kind = 'park'")
            with pytest.raises(asyncpg.RaiseError, match="person_access is append-only: DELETE"):
                async with conn.transaction():
                    await conn.execute("DELETE FROM person_access")
        with pytest.raises(asyncpg.RaiseError, match="case_link rows are never deleted"):
            await conn.execute("DELETE FROM case_link")  # the setting lasted one transaction
        left = await pf.counts(conn)

    assert (left["case_link"], left["place"], left["person_match"]) == (1, 1, 2)
    assert EntityKind.place is kind
