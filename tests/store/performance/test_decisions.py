"""Decisions within the policy timescale and within one working day, and the time to decision,
on a hand-built read model with the answers worked out here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg

from domain.calendar import add_working_days
from domain.measures import Period
from store.performance.decisions import decisions
from store.performance.scope import Scope, reading
from tests.store.performance.rows import WEEK_1, WEEK_2, Rows, at, mar, measure, week


async def test_decisions_within_policy_and_within_one_working_day(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        # Week 1. Received Monday 10:00 (amber), decided Tuesday 09:00: on time both ways.
        await rows.referral(mar(2, 10), decision_due_at=mar(3, 10), decided_at=mar(3, 9))
        # Red, due in 4 hours, decided next morning: late for policy, within one working day.
        await rows.referral(mar(3, 11), decision_due_at=mar(3, 15), decided_at=mar(4, 10))
        # Friday 17:00 (green, 3 working days), decided Monday 17:30: the working day ended 17:00.
        await rows.referral(mar(6, 17), decision_due_at=mar(11, 17), decided_at=mar(9, 17, 30))
        # Saturday counts from Monday 09:00, so due Tuesday 09:00; decided 08:59: on time.
        await rows.referral(mar(7, 12), decision_due_at=mar(10, 9), decided_at=mar(10, 8, 59))
        # Sunday evening, still undecided on Friday and the case open: late both ways.
        await rows.referral(mar(8, 20), decision_due_at=mar(10, 9))
        # Week 2. Closed without a decision before it was due: not counted.
        await rows.referral(mar(9, 9), decision_due_at=mar(10, 9), closed_at=mar(9, 12))
        # Thursday 18:00, undecided, due Friday 18:00 (after NOW): pending both ways.
        await rows.referral(mar(12, 18), decision_due_at=mar(17, 18))
        # Team north's one referral: red, decided within the 4 hours.
        await rows.referral(
            mar(13, 10), team="north", decision_due_at=mar(13, 14), decided_at=mar(13, 12)
        )
        # Outside the period, just: Sunday 23:59 before it, and the Monday 00:00 after it.
        await rows.referral(mar(1, 23, 59), decision_due_at=mar(2, 9), decided_at=mar(2, 9))
        await rows.referral(mar(16, 0), decision_due_at=mar(17, 0), decided_at=mar(16, 1))

    result = await measure(pool, "decisions")

    whole = result.period
    assert (whole.referrals, whole.decided) == (8, 5)
    assert whole.within_policy.model_dump() == {
        "on_time": 4,
        "late": 2,
        "pending": 1,
        "percent": 66.7,
    }
    assert whole.within_one_working_day.model_dump() == {
        "on_time": 4,
        "late": 2,
        "pending": 1,
        "percent": 66.7,
    }
    first, second = week(result, WEEK_1), week(result, WEEK_2)
    assert (first.referrals, first.decided, second.referrals, second.decided) == (5, 4, 3, 1)
    assert (first.within_policy.on_time, first.within_policy.late) == (3, 2)
    assert (first.within_one_working_day.on_time, first.within_one_working_day.late) == (3, 2)
    assert second.within_policy.model_dump() == {
        "on_time": 1,
        "late": 0,
        "pending": 1,
        "percent": 100.0,
    }
    north = (await measure(pool, "decisions", team="north")).period
    assert (north.referrals, north.within_one_working_day.on_time) == (1, 1)


async def test_one_working_day_skips_weekends_bank_holidays_and_keeps_london_time(
    pool: asyncpg.Pool,
) -> None:
    # (received, due by the one-working-day rule), worked out by hand from England's calendar.
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
    for received, due in cases:
        assert add_working_days(received, 1) == due  # the calendar agrees with the hand count
    async with pool.acquire() as conn:
        rows = Rows(conn)
        for received, due in cases:
            await rows.referral(received, decision_due_at=due, decided_at=due)
            await rows.referral(
                received, decision_due_at=due, decided_at=due + timedelta(minutes=1)
            )
    scope = Scope(
        Period(date(2026, 3, 27), date(2026, 12, 24)), None, datetime(2027, 1, 1, tzinfo=UTC)
    )
    async with pool.acquire() as conn, reading(conn):
        result = await decisions(conn, scope)
    assert result.period.within_one_working_day.model_dump() == {
        "on_time": 4,
        "late": 4,
        "pending": 0,
        "percent": 50.0,
    }


async def test_time_to_decision_median_and_90th_percentile(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        for minutes in (60, 120, 180, 600):  # week 1
            received = mar(3, 9)
            await rows.referral(received, decided_at=received + timedelta(minutes=minutes))
        # Week 2: 30.5 minutes counts as 30 whole minutes. Undecided ones are not counted.
        await rows.referral(mar(10, 9), decided_at=mar(10, 9) + timedelta(seconds=30 * 60 + 30))
        await rows.referral(mar(10, 9))

    result = await measure(pool, "time_to_decision")

    # Week 1, sorted 60, 120, 180, 600: the median lies halfway between 120 and 180 (150 min);
    # the 90th percentile at position 1 + 0.9 * 3 = 3.7, 70 % of the way from 180 to 600 (474).
    first = week(result, WEEK_1)
    assert (first.decided, first.median_hours, first.p90_hours) == (4, 2.5, 7.9)
    second = week(result, WEEK_2)
    assert (second.decided, second.median_hours, second.p90_hours) == (1, 0.5, 0.5)
    # The period, 30, 60, 120, 180, 600: median 120; 90th at position 4.6: 180 + 0.6 * 420 = 432.
    assert result.period.model_dump() == {"decided": 5, "median_hours": 2.0, "p90_hours": 7.2}
