"""Re-referrals, decision outcomes (conversion) and referrers told in time, on a hand-built read
model with the answers worked out here."""

from __future__ import annotations

import asyncpg

from tests.store.performance.rows import WEEK_1, WEEK_2, Rows, mar, measure, week


async def test_re_referrals_within_twelve_months(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        for day, again in ((2, True), (3, False), (4, False), (5, False), (9, True), (10, False)):
            await rows.referral(mar(day, 10), re_referral=again)

    result = await measure(pool, "re_referrals")

    assert result.period.model_dump() == {"referrals": 6, "re_referrals": 2, "percent": 33.3}
    assert week(result, WEEK_1).percent == 25.0
    assert week(result, WEEK_2).percent == 50.0


async def test_conversion_by_outcome_and_section_47(pool: asyncpg.Pool) -> None:
    decided = [
        ("nfa", None),
        ("nfa", None),
        ("advice", None),
        ("early_help", None),
        ("assessment", None),
        ("strategy_discussion", "section_47"),
        ("strategy_discussion", "assessment"),
        ("immediate_protection", "section_47"),
    ]
    async with pool.acquire() as conn:
        rows = Rows(conn)
        for outcome, strategy in decided:
            await rows.referral(
                mar(3, 10), outcome=outcome, strategy_outcome=strategy, decided_at=mar(3, 12)
            )
        await rows.referral(mar(10, 10))  # not decided yet

    result = await measure(pool, "conversion")

    whole = result.period
    assert (whole.referrals, whole.decided, whole.section_47) == (9, 8, 2)
    assert whole.outcomes == {
        "nfa": 2,
        "advice": 1,
        "early_help": 1,
        "assessment": 1,
        "strategy_discussion": 2,
        "immediate_protection": 1,
    }
    assert whole.percent_of_referrals["nfa"] == 22.2  # 2 of 9
    assert whole.percent_of_referrals["section_47"] == 22.2
    assert (week(result, WEEK_1).decided, week(result, WEEK_2).referrals) == (8, 1)


async def test_referrer_told_within_timescale(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        await rows.referral(
            mar(2, 10), referrer_told_due_at=mar(3, 10), referrer_told_at=mar(2, 12)
        )
        await rows.referral(
            mar(3, 10), referrer_told_due_at=mar(4, 10), referrer_told_at=mar(4, 11)
        )
        await rows.referral(mar(9, 10), referrer_told_due_at=mar(10, 10))  # never told: late
        await rows.referral(mar(13, 10), referrer_told_due_at=mar(16, 10))  # not yet due
        await rows.referral(mar(13, 11))  # not decided: nothing to tell yet

    result = await measure(pool, "referrer_told")

    assert result.period.referrer_told.model_dump() == {
        "on_time": 1,
        "late": 2,
        "pending": 1,
        "percent": 33.3,
    }
    assert week(result, WEEK_1).referrer_told.percent == 50.0
