"""The measures of the decision on a referral: decided within the policy timescale and within
one working day of referral (`decisions`), and how long a decision takes (`time_to_decision`).

Parameters as in store/performance/scope.py; `decisions` adds the one-working-day table
(`domain.measures.one_working_day_table`) as `$5` its first day, `$6` whether each day is a
working day, `$7` the interval a working day adds, `$8` the due instant of any other day.
"""

from __future__ import annotations

from datetime import date

from domain import measures as m
from domain.measures import percentile_cont
from store.performance.scope import (
    REFERRALS_IN_SCOPE,
    Counts,
    Scope,
    by_week,
    hours,
    rate,
    timeliness,
)
from store.pool import Conn

_DAY = "r.received_local::date - $5::date + 1"  # the day's place in the table's arrays
_ONE_WORKING_DAY_DUE = (
    f"CASE WHEN ($6::boolean[])[{_DAY}] THEN r.received_at + ($7::interval[])[{_DAY}]"
    f" ELSE ($8::timestamptz[])[{_DAY}] END"
)

DECISIONS = f"""
    SELECT r.received_week AS week, count(*) AS referrals, count(r.decided_at) AS decided,
        {timeliness("policy", "r.decided_at", "r.decision_due_at")},
        {timeliness("day", "r.decided_at", "d.day_due")}
    FROM referral r CROSS JOIN LATERAL (SELECT {_ONE_WORKING_DAY_DUE} AS day_due) d
    WHERE {REFERRALS_IN_SCOPE}
    GROUP BY r.received_week
"""

_DECIDED = f"FROM referral r WHERE {REFERRALS_IN_SCOPE} AND r.decision_minutes IS NOT NULL"

TIME_TO_DECISION_WEEKLY = f"""
    SELECT r.received_week AS week, count(*) AS decided,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.decision_minutes) AS minutes
    {_DECIDED}
    GROUP BY r.received_week
"""

TIME_TO_DECISION_HISTOGRAM = f"""
    SELECT r.decision_minutes, count(*) {_DECIDED} GROUP BY 1 ORDER BY 1
"""


async def decisions(conn: Conn, scope: Scope) -> m.Decisions:
    """Decisions within the policy timescale and within one working day of referral."""
    table = m.one_working_day_table(scope.period.start, scope.period.end)
    totals, weeks = await by_week(
        conn,
        DECISIONS,
        *scope.args_at_now,
        table.start,
        table.working,
        table.shift,
        table.fixed,
    )

    def stats(c: Counts | None) -> Counts:
        return {
            "referrals": (c or {}).get("referrals", 0),
            "decided": (c or {}).get("decided", 0),
            "within_policy": rate(c, "policy"),
            "within_one_working_day": rate(c, "day"),
        }

    return m.Decisions(
        period=m.DecisionStats(**stats(totals)),
        weeks=[m.DecisionWeek(week_start=w, **stats(weeks.get(w))) for w in scope.period.weeks],
    )


async def time_to_decision(conn: Conn, scope: Scope) -> m.TimeToDecision:
    """Median and 90th percentile from receipt to decision, counted in whole minutes. Weekly:
    percentile_cont over the covering index, already in week order; the period: the same from a
    histogram of minutes (one sort of every decision would take longer)."""
    weekly = await conn.fetch(TIME_TO_DECISION_WEEKLY, *scope.args)
    histogram = await conn.fetch(TIME_TO_DECISION_HISTOGRAM, *scope.args)
    pairs = [(row[0], row[1]) for row in histogram]
    by_start = {row["week"]: row for row in weekly}

    def week(start: date) -> m.TimeToDecisionWeek:
        row = by_start.get(start)
        if row is None:
            return m.TimeToDecisionWeek(week_start=start)
        median, p90 = row["minutes"]
        return m.TimeToDecisionWeek(
            week_start=start,
            decided=row["decided"],
            median_hours=hours(median),
            p90_hours=hours(p90),
        )

    return m.TimeToDecision(
        period=m.TimeToDecisionStats(
            decided=sum(n for _, n in pairs),
            median_hours=hours(percentile_cont(pairs, 0.5)),
            p90_hours=hours(percentile_cont(pairs, 0.9)),
        ),
        weeks=[week(start) for start in scope.period.weeks],
    )
