"""The whole performance report: every measure by name (`MEASURES`, in the report's order) and
`report`, which reads them all from one snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain import measures as m
from store.performance.agency_checks import agency_checks, agency_return_times
from store.performance.decisions import decisions, recording_gap, time_to_decision
from store.performance.exploitation import (
    exploitation_screening,
    linked_children,
    mace_actions,
    nrm_referrals,
    time_to_mace,
)
from store.performance.handover import after_handover
from store.performance.outcomes import conversion, re_referrals, referrers
from store.performance.overdue import overdue
from store.performance.scope import Scope, reading
from store.performance.visits import visits
from store.pool import Conn

MEASURES: dict[str, Callable[[Conn, Scope], Awaitable[object]]] = {
    "decisions": decisions,
    "time_to_decision": time_to_decision,
    "recording_gap": recording_gap,
    "agency_checks": agency_checks,
    "agency_return_times": agency_return_times,
    "visits": visits,
    "after_handover": after_handover,
    "overdue": overdue,
    "re_referrals": re_referrals,
    "conversion": conversion,
    "referrers": referrers,
    "exploitation_screening": exploitation_screening,
    "time_to_mace": time_to_mace,
    "mace_actions": mace_actions,
    "nrm_referrals": nrm_referrals,
    "linked_children": linked_children,
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
