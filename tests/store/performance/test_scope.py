"""What a performance report covers: London days and weeks that start on Monday, and a team's
cases (those it was assigned or owned a task on), on a hand-built read model."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg

from domain.measures import Period
from tests.store.performance.rows import PERIOD, WEEK_1, WEEK_2, Rows, mar, measure


async def test_periods_are_london_days_and_weeks_start_on_monday() -> None:
    summer = Period(date(2026, 6, 3), date(2026, 6, 10))
    assert summer.lower == datetime(2026, 6, 2, 23, tzinfo=UTC)
    assert summer.upper == datetime(2026, 6, 10, 23, tzinfo=UTC)
    assert summer.weeks == [date(2026, 6, 1), date(2026, 6, 8)]
    assert PERIOD.weeks == [WEEK_1, WEEK_2]


async def test_a_team_filter_takes_the_cases_the_team_owned_a_task_on(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        # No locality team at intake; the police were asked on the first case only.
        asked = await rows.referral(
            mar(3, 10), mash_decision_due_at=mar(4, 10), mash_decided_at=mar(3, 15)
        )
        await rows.check(asked, "police", mar(3, 11), mar(3, 13), returned_at=mar(3, 12))
        await rows.referral(mar(4, 10), mash_decision_due_at=mar(5, 10), mash_decided_at=mar(6, 10))

    police = (await measure(pool, "decisions", team="agency:police")).period
    everyone = (await measure(pool, "decisions")).period
    within = police.within_rag_timescale
    assert (police.contacts, within.on_time, within.late) == (1, 1, 0)
    assert (everyone.contacts, everyone.within_rag_timescale.late) == (2, 1)
