"""The measures of the clocks after the handover (`after_handover`): assessments completed by
their due time (45 working days from the referral) and initial child protection conferences held
by theirs (15 working days from the strategy discussion that started the section 47 enquiry),
from the deadlines and milestones the case keeps. Parameters as in store/performance/scope.py.
"""

from __future__ import annotations

from domain import measures as m
from domain.tasks import Section47Outcome
from store.performance.scope import REFERRALS_IN_SCOPE, Counts, Scope, by_week, rate, timeliness
from store.pool import Conn

# A conference is owed unless the enquiry found the child not at continuing risk.
_AT_RISK = f"'{Section47Outcome.substantiated_at_risk}'"
_CONFERENCE_OWED = (
    f"r.icpc_due_at IS NOT NULL AND coalesce(r.section_47_outcome, {_AT_RISK}) = {_AT_RISK}"
)

_ASSESSMENTS = timeliness(
    "assessment",
    "r.assessment_completed_at",
    "r.assessment_due_at",
    among="r.assessment_due_at IS NOT NULL",
)
_CONFERENCES = timeliness(
    "conference", "r.conference_held_at", "r.icpc_due_at", among=_CONFERENCE_OWED
)

AFTER_HANDOVER = f"""
    SELECT r.received_week AS week, {_ASSESSMENTS}, {_CONFERENCES},
           count(*) FILTER (WHERE r.icpc_due_at IS NOT NULL) AS enquiries,
           count(*) FILTER (WHERE r.icpc_due_at IS NOT NULL
               AND r.section_47_outcome <> {_AT_RISK}) AS no_conference_needed
    FROM referral r WHERE {REFERRALS_IN_SCOPE}
      AND (r.assessment_due_at IS NOT NULL OR r.icpc_due_at IS NOT NULL)
    GROUP BY r.received_week
"""


async def after_handover(conn: Conn, scope: Scope) -> m.AfterHandover:
    """Assessments within 45 working days; initial conferences within 15 working days of the
    strategy discussion (only where the enquiry found, or may yet find, the child at risk)."""
    totals, weeks = await by_week(conn, AFTER_HANDOVER, *scope.args_at_now)

    def stats(c: Counts | None) -> Counts:
        return {
            "assessments": rate(c, "assessment"),
            "conferences": rate(c, "conference"),
            "enquiries": (c or {}).get("enquiries", 0),
            "no_conference_needed": (c or {}).get("no_conference_needed", 0),
        }

    return m.AfterHandover(
        period=m.AfterHandoverStats(**stats(totals)),
        weeks=[
            m.AfterHandoverWeek(week_start=w, **stats(weeks.get(w))) for w in scope.period.weeks
        ],
    )
