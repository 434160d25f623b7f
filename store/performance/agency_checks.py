"""The measures of partner agencies' checks: returned by their due time, per agency and week
(`agency_checks`), and the median time to return one (`agency_return_times`), read from
`agency_check` by when each check's referral was received. Parameters as in
store/performance/scope.py.
"""

from __future__ import annotations

from typing import Any

from domain import measures as m
from domain.measures import percentile_cont
from store.performance.scope import ROWS_IN_SCOPE, Counts, Scope, add_up, hours, rate
from store.pool import Conn

AGENCY_CHECKS = f"""
    SELECT x.agency, x.received_week AS week, count(*) AS requested,
           count(*) FILTER (WHERE x.on_time) AS checks_on_time,
           count(*) FILTER (WHERE NOT x.on_time
               OR (x.on_time IS NULL AND x.status = 'open' AND x.due_at < $4)) AS checks_late,
           count(*) FILTER (WHERE x.on_time IS NULL AND x.status = 'open'
               AND x.due_at >= $4) AS checks_pending
    FROM agency_check x WHERE {ROWS_IN_SCOPE}
    GROUP BY x.agency, x.received_week ORDER BY x.agency, x.received_week
"""

AGENCY_RETURN_TIMES = f"""
    SELECT x.agency, x.return_minutes, count(*)
    FROM agency_check x WHERE {ROWS_IN_SCOPE} AND x.return_minutes IS NOT NULL
    GROUP BY 1, 2 ORDER BY 1, 2
"""


async def agency_checks(conn: Conn, scope: Scope) -> m.AgencyChecks:
    """Per agency and week: checks returned by their due time, late, and not yet due."""
    rows = await conn.fetch(AGENCY_CHECKS, *scope.args_at_now)
    per_agency: dict[str, list[Any]] = {}
    for row in rows:
        per_agency.setdefault(row["agency"], []).append(row)

    def stats(c: Counts) -> Counts:
        return {"requested": c["requested"], "returned_on_time": rate(c, "checks")}

    agencies, weeks = [], []
    for agency, agency_rows in per_agency.items():
        totals, by_week = add_up(
            [{k: v for k, v in r.items() if k != "agency"} for r in agency_rows]
        )
        agencies.append(m.AgencyStats(agency=agency, **stats(totals)))
        weeks += [m.AgencyWeek(agency=agency, week_start=w, **stats(c)) for w, c in by_week.items()]
    return m.AgencyChecks(agencies=agencies, weeks=weeks)


async def agency_return_times(conn: Conn, scope: Scope) -> m.AgencyReturnTimes:
    """Per agency: the median time to return a check over the period, in whole minutes, from a
    histogram PostgreSQL builds in parallel."""
    histograms: dict[str, list[tuple[int, int]]] = {}
    for agency, minutes, n in await conn.fetch(AGENCY_RETURN_TIMES, *scope.args):
        histograms.setdefault(agency, []).append((minutes, n))
    return m.AgencyReturnTimes(
        agencies=[
            m.AgencyReturn(
                agency=agency,
                returned=sum(n for _, n in pairs),
                median_hours_to_return=hours(percentile_cont(pairs, 0.5)),
            )
            for agency, pairs in histograms.items()
        ]
    )
