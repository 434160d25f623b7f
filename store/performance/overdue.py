"""The measure of work past its deadline now (`overdue`): open tasks past their due time, by
stage, team, escalation level and the week their referral was received, and the oldest of them.

The period does not limit what is counted (overdue work is overdue whenever it arrived): it
only picks the weeks of the weekly series. So these queries take their own fixed parameters,
not the period's: `$1` now, `$2` the team (the task's team here; NULL for every team), and for
the list `$3` how many of the oldest tasks to list.
"""

from __future__ import annotations

from datetime import date

from domain import measures as m
from store.performance.scope import Scope
from store.pool import Conn

OVERDUE_ITEMS = 50
"""How many of the oldest overdue tasks a report lists."""

_OVERDUE_TASKS = """
    FROM task t JOIN referral r ON r.referral_id = t.referral_id
    WHERE t.status = 'open' AND t.due_at < $1 AND ($2::text IS NULL OR t.team = $2)
"""

OVERDUE_COUNTS = f"""
    SELECT GROUPING(stage) = 0 AS by_stage, GROUPING(team) = 0 AS by_team,
           GROUPING(escalation_level) = 0 AS by_level, GROUPING(week) = 0 AS by_week,
           stage, team, escalation_level, week, count(*) AS n
    FROM (SELECT t.team, t.escalation_level, r.stage, r.received_week AS week {_OVERDUE_TASKS}) x
    GROUP BY GROUPING SETS ((stage), (team), (escalation_level), (week), ())
"""

OLDEST_OVERDUE = f"""
    SELECT t.task_id::text AS task_id, t.referral_id::text AS referral_id, t.kind, t.team,
           r.stage, t.escalation_level, t.due_at,
           round((extract(epoch FROM $1 - t.due_at) / 3600)::numeric, 1)::float8 AS overdue_hours
    {_OVERDUE_TASKS}
    ORDER BY t.due_at, t.task_id LIMIT $3
"""


async def overdue(conn: Conn, scope: Scope, *, items: int = OVERDUE_ITEMS) -> m.Overdue:
    """Open tasks past their due time now, by stage, team and escalation level, the oldest first;
    the weekly series counts them by the week their referral was received."""
    groups = await conn.fetch(OVERDUE_COUNTS, scope.now, scope.team)
    oldest = await conn.fetch(OLDEST_OVERDUE, scope.now, scope.team, items)
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
