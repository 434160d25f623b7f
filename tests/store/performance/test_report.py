"""The whole report read from one snapshot, over a period with nothing in it."""

from __future__ import annotations

import asyncpg

from store.performance.report import report
from store.performance.scope import Scope
from tests.store.performance.rows import NOW, PERIOD, WEEK_1, WEEK_2


async def test_the_whole_report_over_an_empty_period(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        result = await report(conn, Scope(PERIOD, None, NOW))
    assert result.decisions.period.within_rag_timescale.percent is None
    assert result.decisions.period.within_one_working_day.percent is None
    assert result.referrers.period.acknowledged.percent is None
    assert result.after_handover.period.conferences.percent is None
    assert result.conversion.period.contacts_to_referrals_percent is None
    assert result.recording_gap.period.median_hours is None
    assert [w.week_start for w in result.visits.weeks] == [WEEK_1, WEEK_2]
    assert result.overdue.total == 0 and result.overdue.oldest is None
    assert result.time_to_decision.period.median_hours is None
    screened = result.exploitation_screening.period
    assert (screened.screened, screened.percent_screened) == (0, None)
    assert set(screened.by_risk.values()) == {0}
    assert result.time_to_mace.period.median_hours is None
    assert result.time_to_mace.period.within_deadline.percent is None
    assert (result.mace_actions.overdue_now, result.mace_actions.period.done.percent) == (0, None)
    assert (result.nrm_referrals.period.made, result.nrm_referrals.period.p90_hours) == (0, None)
    assert (result.linked_children.children, result.linked_children.by_kind) == (
        0,
        {"place": 0, "adult": 0},
    )
