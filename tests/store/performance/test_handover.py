"""Assessments within 45 working days of the referral and initial child protection conferences
within 15 working days of the strategy discussion, on a hand-built read model with the answers
worked out here (the report is read on 1 July 2026, after most of these clocks ran out)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg

from domain.calendar import add_working_days
from store.performance.handover import after_handover
from store.performance.scope import Scope, reading
from tests.store.performance.rows import PERIOD, WEEK_1, WEEK_2, Rows, at, mar, week

JULY = datetime(2026, 7, 1, 12, tzinfo=UTC)


def day(month: int, day_: int, hour: int, minute: int = 0) -> datetime:
    return at(date(2026, month, day_), hour, minute)


async def test_assessments_within_45_and_conferences_within_15_working_days(
    pool: asyncpg.Pool,
) -> None:
    # 45 working days from Monday 2 March 10:00, counted by hand: 4 more that week, 5 a week to
    # Thursday 2 April (23), Good Friday and Easter Monday skipped, 27 by Friday 10 April, 42 by
    # Friday 1 May, the early May bank holiday (4 May) skipped: Thursday 7 May, 10:00 BST.
    assessment_due = day(5, 7, 10)
    # 15 working days from a strategy discussion on Monday 2 March 15:00: Monday 23 March.
    icpc_due = day(3, 23, 15)
    assert add_working_days(mar(2, 10), 45) == assessment_due
    assert add_working_days(mar(2, 15), 15) == icpc_due
    one_day = timedelta(days=1)
    async with pool.acquire() as conn:
        r = Rows(conn).referral
        # Assessments. Completed at the due instant: on time; a minute late: late; open and
        # past due: late; closed before it was due without one (withdrawn): not counted.
        await r(
            mar(2, 9),
            referral_at=mar(2, 10),
            assessment_due_at=assessment_due,
            assessment_completed_at=assessment_due,
        )
        await r(
            mar(2, 9),
            referral_at=mar(2, 10),
            assessment_due_at=assessment_due,
            assessment_completed_at=assessment_due + timedelta(minutes=1),
        )
        await r(mar(3, 9), referral_at=mar(3, 10), assessment_due_at=day(5, 8, 10))
        await r(
            mar(4, 9),
            referral_at=mar(4, 10),
            assessment_due_at=day(5, 11, 10),
            closed_at=day(4, 1, 10),
        )
        # Week 2: referred only in June (the contact took long), due after 1 July: pending.
        await r(mar(10, 9), referral_at=day(6, 1, 10), assessment_due_at=day(7, 3, 10))
        # Conferences. At risk, held at the due instant: on time; held two days late: late.
        await r(
            mar(2, 9),
            referral_at=mar(2, 10),
            icpc_due_at=icpc_due,
            section_47_outcome="substantiated_at_risk",
            conference_held_at=icpc_due,
        )
        await r(
            mar(3, 9),
            referral_at=mar(3, 10),
            icpc_due_at=icpc_due + one_day,
            section_47_outcome="substantiated_at_risk",
            conference_held_at=icpc_due + 2 * one_day,
        )
        # Not substantiated: no conference owed, not counted (counted as not needed).
        await r(
            mar(4, 9),
            referral_at=mar(4, 10),
            icpc_due_at=icpc_due + 2 * one_day,
            section_47_outcome="not_substantiated",
            closed_at=day(4, 20, 10),
        )
        # The enquiry's outcome not recorded, past the conference's due time: late.
        await r(mar(5, 9), referral_at=mar(5, 10), icpc_due_at=icpc_due + 3 * one_day)
        # Week 2: due after 1 July: pending.
        await r(mar(11, 9), referral_at=day(6, 10, 10), icpc_due_at=day(7, 2, 10))
        # A contact with neither clock: in neither measure.
        await r(mar(11, 9), outcome="nfa", closed_at=mar(11, 12))

    async with pool.acquire() as conn, reading(conn):
        result = await after_handover(conn, Scope(PERIOD, None, JULY))

    whole = result.period
    assert whole.assessments.model_dump() == {
        "on_time": 1,
        "late": 2,
        "pending": 1,
        "percent": 33.3,
    }
    assert whole.conferences.model_dump() == {
        "on_time": 1,
        "late": 2,
        "pending": 1,
        "percent": 33.3,
    }
    assert (whole.enquiries, whole.no_conference_needed) == (5, 1)
    first, second = week(result, WEEK_1), week(result, WEEK_2)
    assert (first.assessments.on_time, first.assessments.late, first.assessments.pending) == (
        1,
        2,
        0,
    )
    assert (second.assessments.pending, second.conferences.pending, second.enquiries) == (1, 1, 1)
