"""The measures of visits: children seen by the visit's due time, and visits where the child was
not seen, from `referral` and the `task` rows of visits. Parameters as in
store/performance/scope.py.
"""

from __future__ import annotations

from domain import measures as m
from store.performance.scope import (
    REFERRALS_IN_SCOPE,
    ROWS_IN_SCOPE,
    Counts,
    Scope,
    by_week,
    rate,
    timeliness,
)
from store.pool import Conn

VISITS_DUE = f"""
    SELECT r.received_week AS week, count(*) AS visits_due,
        {timeliness("seen", "r.child_seen_at", "r.visit_due_at")}
    FROM referral r WHERE {REFERRALS_IN_SCOPE} AND r.visit_due_at IS NOT NULL
    GROUP BY r.received_week
"""

# A referral belongs to one week, so distinct referrals add up over the weeks.
VISITS_NOT_SEEN = f"""
    SELECT date_trunc('week', x.referral_received_at AT TIME ZONE 'Europe/London')::date AS week,
           count(*) AS visits_not_seen,
           count(DISTINCT x.referral_id) AS referrals_with_child_not_seen
    FROM task x
    WHERE {ROWS_IN_SCOPE} AND x.kind = 'visit' AND x.summary ->> 'child_seen' = 'false'
    GROUP BY 1
"""


async def visits(conn: Conn, scope: Scope) -> m.Visits:
    """Children seen by the visit due time; visits recorded with the child not seen."""
    due_totals, due_weeks = await by_week(conn, VISITS_DUE, *scope.args_at_now)
    unseen_totals, unseen_weeks = await by_week(conn, VISITS_NOT_SEEN, *scope.args)

    def stats(due: Counts | None, unseen: Counts | None) -> Counts:
        return {
            "visits_due": (due or {}).get("visits_due", 0),
            "child_seen": rate(due, "seen"),
            **(unseen or {}),
        }

    return m.Visits(
        period=m.VisitStats(**stats(due_totals, unseen_totals)),
        weeks=[
            m.VisitWeek(week_start=w, **stats(due_weeks.get(w), unseen_weeks.get(w)))
            for w in scope.period.weeks
        ],
    )
