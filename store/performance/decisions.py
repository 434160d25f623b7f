"""The measures of the two decisions: a contact's MASH decision within its RAG timescale and a
referral's decision on the response within one working day of the referral (`decisions`), how
long the decision on the response takes (`time_to_decision`), and the gap between a contact's
receipt and its recording (`recording_gap`).

Parameters as in store/performance/scope.py; `decisions` adds the one-working-day table
(`domain.measures.one_working_day_table`, from the period's first day to today) as `$5` its
first day, `$6` whether each day is a working day, `$7` the interval a working day adds, `$8`
the due instant of any other day.
"""

from __future__ import annotations

from datetime import date

from domain import measures as m
from domain.calendar import LONDON
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

_DAY = "r.referral_day - $5::date + 1"  # the referral's day's place in the table's arrays
_ONE_WORKING_DAY_DUE = (
    f"CASE WHEN ($6::boolean[])[{_DAY}] THEN r.referral_at + ($7::interval[])[{_DAY}]"
    f" ELSE ($8::timestamptz[])[{_DAY}] END"
)
# A contact made a referral at screening (immediate risk) has no MASH decision to time.
_MASH_DECIDED_OR_CONTACT = "r.mash_decided_at IS NOT NULL OR r.referral_at IS NULL"

_WITHIN_RAG = timeliness(
    "rag", "r.mash_decided_at", "r.mash_decision_due_at", among=_MASH_DECIDED_OR_CONTACT
)
_WITHIN_DAY = timeliness(
    "day", "r.referral_decided_at", "d.day_due", among="r.referral_at IS NOT NULL"
)

DECISIONS = f"""
    SELECT r.received_week AS week, count(*) AS contacts, count(r.mash_decided_at) AS mash_decided,
        count(r.referral_at) AS referrals, count(r.referral_decided_at) AS referral_decided,
        {_WITHIN_RAG}, {_WITHIN_DAY}
    FROM referral r CROSS JOIN LATERAL (SELECT {_ONE_WORKING_DAY_DUE} AS day_due) d
    WHERE {REFERRALS_IN_SCOPE}
    GROUP BY r.received_week
"""


def _distribution(minutes: str) -> tuple[str, str]:
    """The weekly percentiles and the period's histogram of a generated column of whole minutes
    (a column name of migration 0013, never input)."""
    rows = f"FROM referral r WHERE {REFERRALS_IN_SCOPE} AND r.{minutes} IS NOT NULL"
    weekly = f"""
        SELECT r.received_week AS week, count(*) AS counted,
               percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.{minutes}) AS minutes
        {rows}
        GROUP BY r.received_week
    """
    return weekly, f"SELECT r.{minutes}, count(*) {rows} GROUP BY 1 ORDER BY 1"


TIME_TO_DECISION_WEEKLY, TIME_TO_DECISION_HISTOGRAM = _distribution("referral_decision_minutes")
RECORDING_GAP_WEEKLY, RECORDING_GAP_HISTOGRAM = _distribution("recording_minutes")


async def decisions(conn: Conn, scope: Scope) -> m.Decisions:
    """MASH decisions within the RAG timescale; decisions on the response within one working day
    of the referral."""
    last = max(scope.period.end, scope.now.astimezone(LONDON).date())
    table = m.one_working_day_table(scope.period.start, last)
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
        counts = {k: (c or {}).get(k, 0) for k in ("contacts", "mash_decided", "referrals")}
        return {
            **counts,
            "referral_decided": (c or {}).get("referral_decided", 0),
            "within_rag_timescale": rate(c, "rag"),
            "within_one_working_day": rate(c, "day"),
        }

    return m.Decisions(
        period=m.DecisionStats(**stats(totals)),
        weeks=[m.DecisionWeek(week_start=w, **stats(weeks.get(w))) for w in scope.period.weeks],
    )


async def _durations(conn: Conn, scope: Scope, weekly_sql: str, histogram_sql: str) -> m.Durations:
    """Median and 90th percentile in whole minutes. Weekly: percentile_cont over the covering
    index, already in week order; the period: the same from a histogram of minutes (one sort of
    every row would take longer)."""
    weekly = await conn.fetch(weekly_sql, *scope.args)
    histogram = await conn.fetch(histogram_sql, *scope.args)
    pairs = [(row[0], row[1]) for row in histogram]
    by_start = {row["week"]: row for row in weekly}

    def week(start: date) -> m.DurationWeek:
        row = by_start.get(start)
        if row is None:
            return m.DurationWeek(week_start=start)
        median, p90 = row["minutes"]
        return m.DurationWeek(
            week_start=start,
            counted=row["counted"],
            median_hours=hours(median),
            p90_hours=hours(p90),
        )

    return m.Durations(
        period=m.DurationStats(
            counted=sum(n for _, n in pairs),
            median_hours=hours(percentile_cont(pairs, 0.5)),
            p90_hours=hours(percentile_cont(pairs, 0.9)),
        ),
        weeks=[week(start) for start in scope.period.weeks],
    )


async def time_to_decision(conn: Conn, scope: Scope) -> m.Durations:
    """From the referral to the decision on the response (0 when decided with the MASH
    decision), over referrals whose response is decided."""
    return await _durations(conn, scope, TIME_TO_DECISION_WEEKLY, TIME_TO_DECISION_HISTOGRAM)


async def recording_gap(conn: Conn, scope: Scope) -> m.Durations:
    """From a contact's receipt (as reported) to its recording by the system."""
    return await _durations(conn, scope, RECORDING_GAP_WEEKLY, RECORDING_GAP_HISTOGRAM)
