"""The performance framework's measures, read from the read model (`referral`, `task`,
`agency_check`); docs/performance-framework.md defines each one.

Only reads: the case activities own these tables. Each measure groups by week in PostgreSQL
(over the covering indexes and generated columns of migration 0005) and adds the weeks up here
for the period; percentiles of the period come from a histogram of whole minutes. Callers own the
connection; `report` (and anyone timing a measure) wraps the reads in `reading`, one read-only
snapshot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain import measures as m
from domain.measures import DECISION_OUTCOMES, Period, Rate, percentile_cont
from store.pool import Conn

OVERDUE_ITEMS = 50
"""How many of the oldest overdue tasks a report lists."""

Counts = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """What a report covers: referrals received in `period`, of `team` if one is named, with
    timeliness judged as at `now`."""

    period: Period
    team: str | None
    now: datetime


@asynccontextmanager
async def reading(conn: Conn) -> AsyncIterator[None]:
    """One read-only snapshot for a set of measures. Each query is planned for its own period
    (a generic plan would not know how many weeks it reads), with memory for the sorts."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(
            "SET LOCAL work_mem = '64MB'; SET LOCAL plan_cache_mode = force_custom_plan"
        )
        yield


def _referrals(scope: Scope, first: int) -> tuple[str, list[Any]]:
    """The WHERE condition for referrals in scope (alias `r`), on the covering index's week and
    London-time columns, with its arguments numbered from `first`."""
    n, period = first, scope.period
    clause = (
        f"r.received_week BETWEEN ${n} AND ${n + 1}"
        f" AND r.received_local >= ${n + 2} AND r.received_local < ${n + 3}"
    )
    args: list[Any] = [period.weeks[0], period.weeks[-1], period.lower_local, period.upper_local]
    if scope.team is not None:
        clause += f" AND {_worked_by(f'${n + 4}', 'r')}"
        args.append(scope.team)
    return clause, args


def _worked_by(team: str, referral: str) -> str:
    """A case is a team's when it is assigned to the team (`referral.team`) or the team owned
    one of its tasks (a front door team, the exploitation team, or an agency's duty team)."""
    return (
        f"(EXISTS (SELECT 1 FROM referral rt WHERE rt.referral_id = {referral}.referral_id"
        f" AND rt.team = {team})"
        f" OR EXISTS (SELECT 1 FROM task tt WHERE tt.referral_id = {referral}.referral_id"
        f" AND tt.team = {team}))"
    )


def _timeliness(prefix: str, done: str, due: str) -> str:
    """On time, late and pending counts of a referral step, with now as $1 (see the framework
    doc): not done and past due while the case was open is late; not done in a case closed
    before it was due is not counted."""
    return f"""
        count(*) FILTER (WHERE {done} <= {due}) AS {prefix}_on_time,
        count(*) FILTER (WHERE {done} > {due} OR ({done} IS NULL
            AND {due} < least($1, coalesce(r.closed_at, 'infinity')))) AS {prefix}_late,
        count(*) FILTER (WHERE {done} IS NULL AND r.closed_at IS NULL
            AND ({due} IS NULL OR {due} >= $1)) AS {prefix}_pending"""


def _rate(counts: Counts | None, prefix: str) -> Rate:
    if not counts:
        return Rate()
    return Rate(**{k: counts[f"{prefix}_{k}"] for k in ("on_time", "late", "pending")})


def _hours(minutes: float | None) -> float | None:
    return round(minutes / 60, 2) if minutes is not None else None


def _add_up(rows: list[Any]) -> tuple[Counts, dict[date, Counts]]:
    """Rows grouped by `week`: the sum of each count over the weeks, and each week's counts."""
    by_week = {row["week"]: {k: v for k, v in row.items() if k != "week"} for row in rows}
    totals: Counts = {}
    for counts in by_week.values():
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals, by_week


async def _by_week(
    conn: Conn,
    scope: Scope,
    counts: str,
    *,
    only: str = "",
    source: str = "referral r",
    extra: tuple[Any, ...] = (),
) -> tuple[Counts, dict[date, Counts]]:
    """`counts` (aggregates over `source`, alias r; $1 is now when they use it, then `extra`)
    for referrals in scope, per week received and added up over the period."""
    timed = "$1" in counts
    leading = (scope.now, *extra) if timed else extra
    where, args = _referrals(scope, first=1 + len(leading))
    rows = await conn.fetch(
        f"SELECT r.received_week AS week, {counts} FROM {source}"
        f" WHERE {where} {only} GROUP BY r.received_week",
        *leading,
        *args,
    )
    return _add_up(rows)


async def decisions(conn: Conn, scope: Scope) -> m.Decisions:
    """Decisions within the policy timescale and within one working day of referral."""
    table = m.one_working_day_table(scope.period.start, scope.period.end)
    day = "r.received_local::date - $2::date + 1"  # the day's place in the table's arrays
    due = (
        f"CASE WHEN ($3::boolean[])[{day}] THEN r.received_at + ($4::interval[])[{day}]"
        f" ELSE ($5::timestamptz[])[{day}] END"
    )
    totals, weeks = await _by_week(
        conn,
        scope,
        "count(*) AS referrals, count(r.decided_at) AS decided,"
        f"{_timeliness('policy', 'r.decided_at', 'r.decision_due_at')},"
        f"{_timeliness('day', 'r.decided_at', 'd.day_due')}",
        source=f"referral r CROSS JOIN LATERAL (SELECT {due} AS day_due) d",
        extra=(table.start, table.working, table.shift, table.fixed),
    )

    def stats(c: Counts | None) -> Counts:
        return {
            "referrals": (c or {}).get("referrals", 0),
            "decided": (c or {}).get("decided", 0),
            "within_policy": _rate(c, "policy"),
            "within_one_working_day": _rate(c, "day"),
        }

    return m.Decisions(
        period=m.DecisionStats(**stats(totals)),
        weeks=[m.DecisionWeek(week_start=w, **stats(weeks.get(w))) for w in scope.period.weeks],
    )


async def time_to_decision(conn: Conn, scope: Scope) -> m.TimeToDecision:
    """Median and 90th percentile from receipt to decision, counted in whole minutes. Weekly:
    percentile_cont over the covering index, already in week order; the period: the same from a
    histogram of minutes (one sort of every decision would take longer)."""
    where, args = _referrals(scope, first=1)
    decided = f"FROM referral r WHERE {where} AND r.decision_minutes IS NOT NULL"
    weekly = await conn.fetch(
        "SELECT r.received_week AS week, count(*) AS decided, percentile_cont(ARRAY[0.5, 0.9])"
        f" WITHIN GROUP (ORDER BY r.decision_minutes) AS minutes {decided}"
        " GROUP BY r.received_week",
        *args,
    )
    histogram = await conn.fetch(
        f"SELECT r.decision_minutes, count(*) {decided} GROUP BY 1 ORDER BY 1", *args
    )
    pairs = [(row[0], row[1]) for row in histogram]
    by_week = {row["week"]: row for row in weekly}

    def week(start: date) -> m.TimeToDecisionWeek:
        row = by_week.get(start)
        if row is None:
            return m.TimeToDecisionWeek(week_start=start)
        median, p90 = row["minutes"]
        return m.TimeToDecisionWeek(
            week_start=start,
            decided=row["decided"],
            median_hours=_hours(median),
            p90_hours=_hours(p90),
        )

    return m.TimeToDecision(
        period=m.TimeToDecisionStats(
            decided=sum(n for _, n in pairs),
            median_hours=_hours(percentile_cont(pairs, 0.5)),
            p90_hours=_hours(percentile_cont(pairs, 0.9)),
        ),
        weeks=[week(start) for start in scope.period.weeks],
    )


def _of_referrals_in_scope(table: str, scope: Scope) -> tuple[str, list[Any]]:
    """FROM and WHERE for rows of `table` (alias x, with referral_received_at) whose referral is
    in scope: $1 and $2 bound the period, $3 is the team if one is named."""
    join = ""
    args: list[Any] = [scope.period.lower, scope.period.upper]
    if scope.team is not None:
        join = f"AND {_worked_by('$3', 'x')}"
        args.append(scope.team)
    period = "x.referral_received_at >= $1 AND x.referral_received_at < $2"
    return f"{table} x WHERE {period} {join}", args


async def agency_checks(conn: Conn, scope: Scope) -> m.AgencyChecks:
    """Per agency and week: checks returned by their due time, late, and not yet due."""
    source, args = _of_referrals_in_scope("agency_check", scope)
    now = f"${len(args) + 1}"
    rows = await conn.fetch(
        f"""
        SELECT x.agency, x.received_week AS week, count(*) AS requested,
               count(*) FILTER (WHERE x.on_time) AS checks_on_time,
               count(*) FILTER (WHERE NOT x.on_time
                   OR (x.on_time IS NULL AND x.status = 'open' AND x.due_at < {now}))
                   AS checks_late,
               count(*) FILTER (WHERE x.on_time IS NULL AND x.status = 'open'
                   AND x.due_at >= {now}) AS checks_pending
        FROM {source}
        GROUP BY x.agency, x.received_week ORDER BY x.agency, x.received_week
        """,
        *args,
        scope.now,
    )
    per_agency: dict[str, list[Any]] = {}
    for row in rows:
        per_agency.setdefault(row["agency"], []).append(row)

    def stats(c: Counts) -> Counts:
        return {"requested": c["requested"], "returned_on_time": _rate(c, "checks")}

    agencies, weeks = [], []
    for agency, agency_rows in per_agency.items():
        totals, by_week = _add_up(
            [{k: v for k, v in r.items() if k != "agency"} for r in agency_rows]
        )
        agencies.append(m.AgencyStats(agency=agency, **stats(totals)))
        weeks += [m.AgencyWeek(agency=agency, week_start=w, **stats(c)) for w, c in by_week.items()]
    return m.AgencyChecks(agencies=agencies, weeks=weeks)


async def agency_return_times(conn: Conn, scope: Scope) -> m.AgencyReturnTimes:
    """Per agency: the median time to return a check over the period, in whole minutes, from a
    histogram PostgreSQL builds in parallel."""
    source, args = _of_referrals_in_scope("agency_check", scope)
    rows = await conn.fetch(
        f"SELECT x.agency, x.return_minutes, count(*) FROM {source}"
        " AND x.return_minutes IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
        *args,
    )
    histograms: dict[str, list[tuple[int, int]]] = {}
    for agency, minutes, n in rows:
        histograms.setdefault(agency, []).append((minutes, n))
    return m.AgencyReturnTimes(
        agencies=[
            m.AgencyReturn(
                agency=agency,
                returned=sum(n for _, n in pairs),
                median_hours_to_return=_hours(percentile_cont(pairs, 0.5)),
            )
            for agency, pairs in histograms.items()
        ]
    )


async def visits(conn: Conn, scope: Scope) -> m.Visits:
    """Children seen by the visit due time; visits recorded with the child not seen."""
    due_totals, due_weeks = await _by_week(
        conn,
        scope,
        "count(*) AS visits_due," + _timeliness("seen", "r.child_seen_at", "r.visit_due_at"),
        only="AND r.visit_due_at IS NOT NULL",
    )
    source, args = _of_referrals_in_scope("task", scope)
    # A referral belongs to one week, so distinct referrals add up over the weeks.
    unseen_totals, unseen_weeks = _add_up(
        await conn.fetch(
            "SELECT date_trunc('week', x.referral_received_at AT TIME ZONE 'Europe/London')::date"
            " AS week, count(*) AS visits_not_seen,"
            " count(DISTINCT x.referral_id) AS referrals_with_child_not_seen"
            f" FROM {source} AND x.kind = 'visit' AND x.summary ->> 'child_seen' = 'false'"
            " GROUP BY 1",
            *args,
        )
    )

    def stats(due: Counts | None, unseen: Counts | None) -> Counts:
        return {
            "visits_due": (due or {}).get("visits_due", 0),
            "child_seen": _rate(due, "seen"),
            **(unseen or {}),
        }

    return m.Visits(
        period=m.VisitStats(**stats(due_totals, unseen_totals)),
        weeks=[
            m.VisitWeek(week_start=w, **stats(due_weeks.get(w), unseen_weeks.get(w)))
            for w in scope.period.weeks
        ],
    )


async def overdue(conn: Conn, scope: Scope, *, items: int = OVERDUE_ITEMS) -> m.Overdue:
    """Open tasks past their due time now, by stage, team and escalation level, the oldest first;
    the weekly series counts them by the week their referral was received. The period does not
    limit the counts (overdue work is overdue whenever it arrived); `team` is the task's team."""
    team = "" if scope.team is None else "AND t.team = $2"
    args: list[Any] = [scope.now] if scope.team is None else [scope.now, scope.team]
    base = f"""FROM task t JOIN referral r ON r.referral_id = t.referral_id
        WHERE t.status = 'open' AND t.due_at < $1 {team}"""
    groups = await conn.fetch(
        f"""
        SELECT GROUPING(stage) = 0 AS by_stage, GROUPING(team) = 0 AS by_team,
               GROUPING(escalation_level) = 0 AS by_level, GROUPING(week) = 0 AS by_week,
               stage, team, escalation_level, week, count(*) AS n
        FROM (SELECT t.team, t.escalation_level, r.stage, r.received_week AS week {base}) x
        GROUP BY GROUPING SETS ((stage), (team), (escalation_level), (week), ())
        """,
        *args,
    )
    oldest = await conn.fetch(
        f"""
        SELECT t.task_id::text AS task_id, t.referral_id::text AS referral_id, t.kind, t.team,
               r.stage, t.escalation_level, t.due_at,
               round((extract(epoch FROM $1 - t.due_at) / 3600)::numeric, 1)::float8
                   AS overdue_hours
        {base} ORDER BY t.due_at, t.task_id LIMIT {int(items)}
        """,
        *args,
    )
    result = m.Overdue(as_of=scope.now, items=[m.OverdueTask(**dict(row)) for row in oldest])
    result.oldest = result.items[0] if result.items else None
    week_counts: dict[date, int] = {}
    for row in groups:
        if row["by_stage"]:
            result.by_stage[row["stage"]] = row["n"]
        elif row["by_team"]:
            result.by_team[row["team"]] = row["n"]
        elif row["by_level"]:
            result.by_escalation_level[str(row["escalation_level"])] = row["n"]
        elif row["by_week"]:
            week_counts[row["week"]] = row["n"]
        else:
            result.total = row["n"]
    result.weeks = [
        m.OverdueWeek(week_start=w, overdue=week_counts.get(w, 0)) for w in scope.period.weeks
    ]
    return result


async def re_referrals(conn: Conn, scope: Scope) -> m.ReReferrals:
    """Referrals of a child referred in the 12 months before (the flag set at registration)."""
    totals, weeks = await _by_week(
        conn,
        scope,
        "count(*) AS referrals, count(*) FILTER (WHERE r.re_referral) AS re_referrals",
    )
    return m.ReReferrals(
        period=m.ReReferralStats(**totals),
        weeks=[m.ReReferralWeek(week_start=w, **weeks.get(w, {})) for w in scope.period.weeks],
    )


async def conversion(conn: Conn, scope: Scope) -> m.Conversion:
    """Referrals by decision outcome, and those whose strategy discussion decided section 47."""
    # The outcome names are this module's constants, not input, so they may go into the SQL.
    outcomes = ", ".join(
        f"count(*) FILTER (WHERE r.outcome = '{name}') AS {name}" for name in DECISION_OUTCOMES
    )
    totals, weeks = await _by_week(
        conn,
        scope,
        f"count(*) AS referrals, count(r.decided_at) AS decided, {outcomes},"
        " count(*) FILTER (WHERE r.strategy_outcome = 'section_47') AS section_47",
    )

    def stats(c: Counts | None) -> Counts:
        if not c:
            return {}
        return {
            "referrals": c["referrals"],
            "decided": c["decided"],
            "outcomes": {name: c[name] for name in DECISION_OUTCOMES},
            "section_47": c["section_47"],
        }

    return m.Conversion(
        period=m.ConversionStats(**stats(totals)),
        weeks=[m.ConversionWeek(week_start=w, **stats(weeks.get(w))) for w in scope.period.weeks],
    )


async def referrer_told(conn: Conn, scope: Scope) -> m.ReferrerTold:
    """Referrers told the outcome by the time the policy allows after the decision."""
    totals, weeks = await _by_week(
        conn,
        scope,
        _timeliness("told", "r.referrer_told_at", "r.referrer_told_due_at"),
        only="AND r.referrer_told_due_at IS NOT NULL",
    )
    return m.ReferrerTold(
        period=m.ReferrerToldStats(referrer_told=_rate(totals, "told")),
        weeks=[
            m.ReferrerToldWeek(week_start=w, referrer_told=_rate(weeks.get(w), "told"))
            for w in scope.period.weeks
        ],
    )


MEASURES: dict[str, Callable[[Conn, Scope], Awaitable[object]]] = {
    "decisions": decisions,
    "time_to_decision": time_to_decision,
    "agency_checks": agency_checks,
    "agency_return_times": agency_return_times,
    "visits": visits,
    "overdue": overdue,
    "re_referrals": re_referrals,
    "conversion": conversion,
    "referrer_told": referrer_told,
}
"""Every measure by name, in the report's order (the benchmark times them one by one)."""


async def report(conn: Conn, scope: Scope) -> m.PerformanceReport:
    """Every measure for `scope`, read from one snapshot."""
    async with reading(conn):
        results = {name: await measure(conn, scope) for name, measure in MEASURES.items()}
    period = m.ReportPeriod(
        from_=scope.period.start,
        to=scope.period.end,
        team=scope.team,
        weeks=scope.period.weeks,
        generated_at=scope.now,
    )
    return m.PerformanceReport.model_validate({"period": period, **results})
