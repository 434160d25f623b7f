"""Each measure of the performance framework on a hand-built read model, with the answer worked
out here (docs/performance-framework.md defines them). Rows go straight into `referral`, `task`
and `agency_check`, as the activities would have left them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from domain.calendar import LONDON, add_working_days
from domain.measures import Period
from store.performance.decisions import decisions
from store.performance.report import MEASURES, report
from store.performance.scope import Scope, reading

WEEK_1, WEEK_2 = date(2026, 3, 2), date(2026, 3, 9)
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 15))  # two whole weeks, both in GMT
NOW = datetime(2026, 3, 13, 17, 0, tzinfo=UTC)  # Friday of week 2, 17:00 in London


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A London wall-clock time, as an instant in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON).astimezone(
        UTC
    )


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    return at(date(2026, 3, day), hour, minute)


class Rows:
    """Insert read-model rows with only the columns a test cares about."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def referral(self, received: datetime, **columns: Any) -> UUID:
        referral_id = uuid.uuid4()
        columns.setdefault("stage", "closed" if columns.get("closed_at") else "decision")
        values = {
            "referral_id": referral_id,
            "workflow_id": f"referral-{referral_id}",
            "policy_version": "england-2023",
            "received_at": received,
            "source_code": "3A",
            **columns,
        }
        await self._insert("referral", values)
        return referral_id

    async def task(
        self,
        referral_id: UUID,
        kind: str,
        due: datetime,
        *,
        team: str = "front_door_practitioners",
        **columns: Any,
    ) -> UUID:
        task_id = uuid.uuid4()
        summary = columns.pop("summary", {})
        values = {
            "task_id": task_id,
            "referral_id": referral_id,
            "workflow_id": f"referral-{referral_id}",
            "step_key": f"task/{task_id}",
            "kind": kind,
            "team": team,
            "due_at": due,
            "opened_at": columns.pop("opened_at", due - timedelta(hours=4)),
            "summary": json.dumps(summary),
            **columns,
        }
        await self._insert("task", values)
        return task_id

    async def check(
        self, referral_id: UUID, agency: str, requested: datetime, due: datetime, **columns: Any
    ) -> None:
        status = columns.setdefault("status", "completed")
        task_id = await self.task(
            referral_id, "agency_check", due, team=f"agency:{agency}", agency=agency, status=status
        )
        values = {
            "task_id": task_id,
            "workflow_id": f"referral-{referral_id}",
            "referral_id": referral_id,
            "agency": agency,
            "requested_at": requested,
            "due_at": due,
            **columns,
        }
        await self._insert("agency_check", values)

    async def _insert(self, table: str, values: dict[str, Any]) -> None:
        names = ", ".join(values)
        params = ", ".join(
            f"${i}::jsonb" if name == "summary" else f"${i}" for i, name in enumerate(values, 1)
        )
        await self.conn.execute(
            f"INSERT INTO {table} ({names}) VALUES ({params})", *values.values()
        )


async def measure(pool: asyncpg.Pool, name: str, team: str | None = None) -> Any:
    async with pool.acquire() as conn, reading(conn):
        return await MEASURES[name](conn, Scope(PERIOD, team, NOW))


def week(result: Any, start: date) -> Any:
    return next(w for w in result.weeks if w.week_start == start)


async def test_periods_are_london_days_and_weeks_start_on_monday() -> None:
    summer = Period(date(2026, 6, 3), date(2026, 6, 10))
    assert summer.lower == datetime(2026, 6, 2, 23, tzinfo=UTC)
    assert summer.upper == datetime(2026, 6, 10, 23, tzinfo=UTC)
    assert summer.weeks == [date(2026, 6, 1), date(2026, 6, 8)]
    assert PERIOD.weeks == [WEEK_1, WEEK_2]


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


async def test_agency_checks_on_time_per_agency_and_median_time_to_return(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        first = await rows.referral(mar(2, 10), team="north")
        second = await rows.referral(mar(9, 10))
        third = await rows.referral(mar(12, 10))
        # Police: on time after 5 hours; late after 8 hours; open and not yet due.
        await rows.check(
            first, "police", mar(2, 11), mar(2, 17), returned_at=mar(2, 16), on_time=True
        )
        await rows.check(
            second, "police", mar(9, 11), mar(9, 17), returned_at=mar(9, 19), on_time=False
        )
        await rows.check(third, "police", mar(12, 11), mar(13, 18), status="open")
        # Health: open past its due time (late); cancelled before it was due (not counted).
        await rows.check(first, "health", mar(2, 11), mar(3, 17), status="open")
        await rows.check(second, "health", mar(9, 11), mar(9, 17), status="cancelled")
        # Education: answered within the hour.
        await rows.check(
            first, "education", mar(2, 11), mar(2, 17), returned_at=mar(2, 12), on_time=True
        )
        copied = await conn.fetchval(
            "SELECT count(*) FROM agency_check WHERE referral_received_at IS NOT NULL"
        )
    assert copied == 6  # the trigger copied each referral's received_at

    checks = await measure(pool, "agency_checks")
    by_agency = {a.agency: (a.requested, a.returned_on_time.model_dump()) for a in checks.agencies}
    assert by_agency == {
        "education": (1, {"on_time": 1, "late": 0, "pending": 0, "percent": 100.0}),
        "health": (2, {"on_time": 0, "late": 1, "pending": 0, "percent": 0.0}),
        "police": (3, {"on_time": 1, "late": 1, "pending": 1, "percent": 50.0}),
    }
    police = {
        w.week_start: w.returned_on_time.model_dump() for w in checks.weeks if w.agency == "police"
    }
    assert police[WEEK_1] == {"on_time": 1, "late": 0, "pending": 0, "percent": 100.0}
    assert police[WEEK_2] == {"on_time": 0, "late": 1, "pending": 1, "percent": 0.0}

    returns = await measure(pool, "agency_return_times")
    # Police returned after 300 and 480 minutes: median 390 minutes, 6.5 hours.
    assert [(a.agency, a.returned, a.median_hours_to_return) for a in returns.agencies] == [
        ("education", 1, 1.0),
        ("police", 2, 6.5),
    ]
    north = await measure(pool, "agency_checks", team="north")
    assert sorted((a.agency, a.requested) for a in north.agencies) == [
        ("education", 1),
        ("health", 1),
        ("police", 1),
    ]


async def test_children_seen_within_timescale_and_visits_not_seen(pool: asyncpg.Pool) -> None:
    not_seen = {"child_seen": False, "not_seen_reason": "no_access", "visited_at": "x"}
    async with pool.acquire() as conn:
        rows = Rows(conn)
        seen_on_time = await rows.referral(
            mar(2, 10), visit_due_at=mar(5, 12), child_seen_at=mar(5, 11)
        )
        await rows.task(
            seen_on_time, "visit", mar(5, 12), status="completed", summary={"child_seen": True}
        )
        # Seen a day late, after one visit where the child was not seen.
        seen_late = await rows.referral(
            mar(2, 11), visit_due_at=mar(5, 12), child_seen_at=mar(6, 10)
        )
        await rows.task(seen_late, "visit", mar(5, 12), status="completed", summary=not_seen)
        await rows.referral(mar(3, 10))  # no visit called for
        # Week 2: past due and not seen after two attempts; not yet due; called off before due.
        unseen = await rows.referral(mar(9, 10), visit_due_at=mar(12, 12), stage="visit")
        await rows.task(unseen, "visit", mar(12, 12), status="completed", summary=not_seen)
        await rows.task(unseen, "visit", mar(13, 12), status="completed", summary=not_seen)
        await rows.referral(mar(10, 10), visit_due_at=mar(16, 12), stage="visit")
        await rows.referral(mar(10, 11), visit_due_at=mar(11, 12), closed_at=mar(10, 15))

    result = await measure(pool, "visits")

    assert result.period.model_dump() == {
        "visits_due": 5,
        "child_seen": {"on_time": 1, "late": 2, "pending": 1, "percent": 33.3},
        "visits_not_seen": 3,
        "referrals_with_child_not_seen": 2,
    }
    first, second = week(result, WEEK_1), week(result, WEEK_2)
    assert (first.visits_due, first.child_seen.on_time, first.child_seen.late) == (2, 1, 1)
    assert (first.visits_not_seen, second.visits_not_seen) == (1, 2)
    assert (second.child_seen.late, second.child_seen.pending) == (1, 1)


async def test_work_past_its_deadline_now(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        old = await rows.referral(at(date(2026, 2, 20), 9), stage="screening")
        await rows.task(old, "screening", at(date(2026, 2, 20), 17), escalation_level=3)
        deciding = await rows.referral(mar(8, 9), stage="decision")
        await rows.task(
            deciding, "decision", mar(10, 9), team="front_door_managers", escalation_level=2
        )
        checking = await rows.referral(mar(12, 9), stage="checks")
        await rows.check(checking, "police", mar(12, 10), mar(12, 12), status="open")
        await conn.execute("UPDATE task SET escalation_level = 1 WHERE kind = 'agency_check'")
        visiting = await rows.referral(mar(2, 9), stage="visit")
        await rows.task(visiting, "visit", mar(13, 16))
        await rows.task(visiting, "visit", mar(14, 16))  # not due yet
        await rows.task(visiting, "screening", mar(1, 9), status="completed")  # done

    result = await measure(pool, "overdue")

    assert result.total == 4
    assert result.by_stage == {"screening": 1, "decision": 1, "checks": 1, "visit": 1}
    assert result.by_team == {
        "front_door_practitioners": 2,
        "front_door_managers": 1,
        "agency:police": 1,
    }
    assert result.by_escalation_level == {"0": 1, "1": 1, "2": 1, "3": 1}
    assert [item.kind for item in result.items] == [
        "screening",
        "decision",
        "agency_check",
        "visit",
    ]
    assert result.oldest is not None
    assert (result.oldest.referral_id, result.oldest.overdue_hours) == (str(old), 504.0)
    # By the week their referral came in; the February one is before the period.
    assert [(w.week_start, w.overdue) for w in result.weeks] == [(WEEK_1, 2), (WEEK_2, 1)]
    mine = await measure(pool, "overdue", team="front_door_practitioners")
    assert (mine.total, mine.by_team) == (2, {"front_door_practitioners": 2})


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


async def test_the_whole_report_over_an_empty_period(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        result = await report(conn, Scope(PERIOD, None, NOW))
    assert result.decisions.period.within_policy.percent is None
    assert [w.week_start for w in result.visits.weeks] == [WEEK_1, WEEK_2]
    assert result.overdue.total == 0 and result.overdue.oldest is None
    assert result.time_to_decision.period.median_hours is None


async def test_a_team_filter_takes_the_cases_the_team_owned_a_task_on(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        # No locality team at intake; the police were asked on the first case only.
        asked = await rows.referral(mar(3, 10), decision_due_at=mar(4, 10), decided_at=mar(3, 15))
        await rows.check(asked, "police", mar(3, 11), mar(3, 13), returned_at=mar(3, 12))
        await rows.referral(mar(4, 10), decision_due_at=mar(5, 10), decided_at=mar(6, 10))

    police = (await measure(pool, "decisions", team="agency:police")).period
    everyone = (await measure(pool, "decisions")).period
    assert (police.referrals, police.within_policy.on_time, police.within_policy.late) == (1, 1, 0)
    assert (everyone.referrals, everyone.within_policy.late) == (2, 1)
