"""The two decisions (a contact's MASH decision within its RAG timescale, a referral's response
within one working day of the referral), the time to decide the response and the
contact-recording gap, on a hand-built read model with the answers worked out here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg

from domain.calendar import add_working_days
from domain.measures import Period
from store.performance.decisions import decisions
from store.performance.scope import Scope, reading
from tests.store.performance.rows import WEEK_1, WEEK_2, Rows, at, mar, measure, week


async def test_mash_decisions_within_rag_and_responses_within_one_working_day(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        r = rows.referral
        # Week 1. Amber, decided at the due instant itself: on time; closed as nfa (a contact).
        await r(
            mar(2, 10),
            mash_decision_due_at=mar(3, 10),
            mash_decided_at=mar(3, 10),
            outcome="nfa",
            closed_at=mar(3, 10),
        )
        # Red, due in 4 hours, decided next morning: late; made a referral and its response
        # (assessment) decided at once: 0 minutes, on time.
        await r(
            mar(3, 11),
            mash_decision_due_at=mar(3, 15),
            mash_decided_at=mar(4, 10),
            referral_at=mar(4, 10),
            referral_decided_at=mar(4, 10),
        )
        # Friday 17:00, green (3 working days): on time; a referral at Monday 17:30 whose response
        # is decided on Tuesday at 17:30, the due instant: on time.
        await r(
            mar(6, 17),
            mash_decision_due_at=mar(11, 17),
            mash_decided_at=mar(9, 17, 30),
            referral_at=mar(9, 17, 30),
            referral_decided_at=mar(10, 17, 30),
        )
        # Sunday evening, no MASH decision on Friday and the contact open: late (no referral).
        await r(mar(8, 20), mash_decision_due_at=mar(10, 9))
        # Immediate risk at screening made it a referral at once, with no MASH decision: not in
        # the RAG measure; the response decided exactly one working day later: on time.
        await r(
            mar(4, 9),
            immediate_risk=True,
            mash_decision_due_at=mar(4, 13),
            referral_at=mar(4, 9, 30),
            referral_decided_at=mar(5, 9, 30),
        )
        # A referral made on Saturday (the MASH decision, on time) counts from Monday 09:00, so
        # its response is due Tuesday 09:00; decided 09:01: late.
        await r(
            mar(6, 16),
            mash_decision_due_at=mar(9, 16),
            mash_decided_at=at(date(2026, 3, 7), 11),
            referral_at=at(date(2026, 3, 7), 11),
            referral_decided_at=mar(10, 9, 1),
        )
        # Week 2. Closed without a decision before it was due: not counted.
        await r(mar(9, 9), mash_decision_due_at=mar(10, 9), closed_at=mar(9, 12))
        # Thursday 18:00, undecided, due next Tuesday 18:00 (after now): pending.
        await r(mar(12, 18), mash_decision_due_at=mar(17, 18))
        # Team north's one contact: red, decided within the 4 hours, closed with advice.
        await r(
            mar(13, 10),
            team="north",
            mash_decision_due_at=mar(13, 14),
            mash_decided_at=mar(13, 12),
            outcome="advice",
            closed_at=mar(13, 12),
        )
        # On time; a referral on Friday 09:00, its response due Monday 09:00: pending.
        await r(
            mar(12, 10),
            mash_decision_due_at=mar(13, 10),
            mash_decided_at=mar(13, 9),
            referral_at=mar(13, 9),
        )
        # On time; a referral on Monday 11:00, its response undecided and due Tuesday 11:00: late.
        await r(
            mar(9, 10),
            mash_decision_due_at=mar(10, 10),
            mash_decided_at=mar(9, 11),
            referral_at=mar(9, 11),
        )
        # Outside the period, just: Sunday 23:59 before it, and the Monday 00:00 after it.
        await r(mar(1, 23, 59), mash_decision_due_at=mar(2, 9), mash_decided_at=mar(2, 9))
        await r(mar(16, 0), mash_decision_due_at=mar(17, 0), mash_decided_at=mar(16, 1))

    result = await measure(pool, "decisions")

    whole = result.period
    assert (whole.contacts, whole.mash_decided, whole.referrals, whole.referral_decided) == (
        11,
        7,
        6,
        4,
    )
    assert whole.within_rag_timescale.model_dump() == {
        "on_time": 6,
        "late": 2,
        "pending": 1,
        "percent": 75.0,
    }
    assert whole.within_one_working_day.model_dump() == {
        "on_time": 3,
        "late": 2,
        "pending": 1,
        "percent": 60.0,
    }
    first, second = week(result, WEEK_1), week(result, WEEK_2)
    assert (first.contacts, first.referrals, second.contacts, second.referrals) == (6, 4, 5, 2)
    assert (first.within_rag_timescale.on_time, first.within_rag_timescale.late) == (3, 2)
    assert first.within_one_working_day.model_dump() == {
        "on_time": 3,
        "late": 1,
        "pending": 0,
        "percent": 75.0,
    }
    assert second.within_rag_timescale.model_dump() == {
        "on_time": 3,
        "late": 0,
        "pending": 1,
        "percent": 100.0,
    }
    assert second.within_one_working_day.model_dump() == {
        "on_time": 0,
        "late": 1,
        "pending": 1,
        "percent": 0.0,
    }
    north = (await measure(pool, "decisions", team="north")).period
    assert (north.contacts, north.within_rag_timescale.on_time, north.referrals) == (1, 1, 0)
    assert north.within_one_working_day.percent is None


async def test_one_working_day_skips_weekends_bank_holidays_and_keeps_london_time(
    pool: asyncpg.Pool,
) -> None:
    # (referral, due by the one-working-day rule), worked out by hand from England's calendar.
    cases = [
        # Before Good Friday (3 April) and Easter Monday (6 April 2026): due Tuesday.
        (at(date(2026, 4, 2), 10), at(date(2026, 4, 7), 10)),
        # Friday before the clocks go forward: 10:00 GMT, due Monday 10:00 BST (09:00 UTC).
        (at(date(2026, 3, 27), 10), datetime(2026, 3, 30, 9, tzinfo=UTC)),
        # Saturday before the clocks go back: from Monday 09:00, due Tuesday 09:00 GMT.
        (at(date(2026, 10, 24), 15), at(date(2026, 10, 27), 9)),
        # Christmas Eve: Christmas (Friday), the weekend, Boxing Day's substitute (Monday 28th).
        (at(date(2026, 12, 24), 16), at(date(2026, 12, 29), 16)),
    ]
    for referred, due in cases:
        assert add_working_days(referred, 1) == due  # the calendar agrees with the hand count
    async with pool.acquire() as conn:
        rows = Rows(conn)
        for referred, due in cases:
            for decided in (due, due + timedelta(minutes=1)):
                # Received the day before it was made a referral: the clock runs from referral.
                await rows.referral(
                    referred - timedelta(hours=20),
                    referral_at=referred,
                    referral_decided_at=decided,
                )
    scope = Scope(
        Period(date(2026, 3, 26), date(2026, 12, 24)), None, datetime(2027, 1, 1, tzinfo=UTC)
    )
    async with pool.acquire() as conn, reading(conn):
        result = await decisions(conn, scope)
    assert result.period.within_one_working_day.model_dump() == {
        "on_time": 4,
        "late": 4,
        "pending": 0,
        "percent": 50.0,
    }


async def test_time_to_decision_from_referral_median_and_90th_percentile(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        for minutes in (60, 120, 180, 600):  # week 1: received Monday, referred Tuesday 09:00
            referred = mar(3, 9)
            await rows.referral(
                mar(2, 9),
                referral_at=referred,
                referral_decided_at=referred + timedelta(minutes=minutes),
            )
        # Week 2: 30.5 minutes counts as 30 whole minutes; one decided with the MASH decision
        # (0 minutes). Not counted: a referral not yet decided, a contact closed without one.
        await rows.referral(
            mar(10, 8),
            referral_at=mar(10, 9),
            referral_decided_at=mar(10, 9) + timedelta(seconds=1830),
        )
        await rows.referral(mar(10, 8), referral_at=mar(11, 9), referral_decided_at=mar(11, 9))
        await rows.referral(mar(10, 9), referral_at=mar(10, 10))
        await rows.referral(mar(10, 9), mash_decided_at=mar(10, 12), outcome="nfa")

    result = await measure(pool, "time_to_decision")

    # Week 1, sorted 60, 120, 180, 600: the median lies halfway between 120 and 180 (150 min);
    # the 90th percentile at position 1 + 0.9 * 3 = 3.7, 70 % of the way from 180 to 600 (474).
    first = week(result, WEEK_1)
    assert (first.counted, first.median_hours, first.p90_hours) == (4, 2.5, 7.9)
    # Week 2, 0 and 30: median 15 minutes; 90th percentile 0.9 of the way: 27 minutes.
    second = week(result, WEEK_2)
    assert (second.counted, second.median_hours, second.p90_hours) == (2, 0.25, 0.45)
    # The period, 0, 30, 60, 120, 180, 600: the median halfway between 60 and 120 (90 min); the
    # 90th at position 5.5, halfway between 180 and 600 (390 min).
    assert result.period.model_dump() == {"counted": 6, "median_hours": 1.5, "p90_hours": 6.5}


async def test_the_contact_recording_gap(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        # Week 1: recorded as received; 30 seconds later (0 whole minutes); 6 minutes later; and
        # received on Friday 17:00 but recorded on Monday 09:00 (64 hours, 3,840 minutes).
        await rows.referral(mar(2, 10), recorded_at=mar(2, 10))
        await rows.referral(mar(3, 10), recorded_at=mar(3, 10) + timedelta(seconds=30))
        await rows.referral(mar(4, 10), recorded_at=mar(4, 10, 6))
        await rows.referral(mar(6, 17), recorded_at=mar(9, 9))
        # Week 2: 90 minutes; and a contact from before the process change (no recorded_at).
        await rows.referral(mar(10, 10), recorded_at=mar(10, 11, 30))
        await rows.referral(mar(11, 10))

    result = await measure(pool, "recording_gap")

    # Week 1, sorted 0, 0, 6, 3840: median 3 minutes; 90th at position 3.7: 6 + 0.7 * 3834.
    first = week(result, WEEK_1)
    assert (first.counted, first.median_hours, first.p90_hours) == (4, 0.05, 44.83)
    assert week(result, WEEK_2).model_dump(exclude={"week_start"}) == {
        "counted": 1,
        "median_hours": 1.5,
        "p90_hours": 1.5,
    }
    # The period, 0, 0, 6, 90, 3840: median 6 minutes; 90th at position 4.6: 90 + 0.6 * 3750.
    assert result.period.model_dump() == {"counted": 5, "median_hours": 0.1, "p90_hours": 39.0}
