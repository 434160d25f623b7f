"""The measures of what became of referrals: what was decided (`conversion`), whether the
referrer was told in time (`referrer_told`), and children referred again within twelve months
(`re_referrals`). Parameters as in store/performance/scope.py.
"""

from __future__ import annotations

from domain import measures as m
from domain.policy import DecisionOutcome
from store.performance.scope import REFERRALS_IN_SCOPE, Counts, Scope, by_week, rate, timeliness
from store.pool import Conn

# The outcome names are the domain's constants, not input, so they may go into the SQL.
_OUTCOMES = ", ".join(
    f"count(*) FILTER (WHERE r.outcome = '{o.value}') AS {o.value}" for o in DecisionOutcome
)

CONVERSION = f"""
    SELECT r.received_week AS week, count(*) AS referrals, count(r.decided_at) AS decided,
           {_OUTCOMES},
           count(*) FILTER (WHERE r.strategy_outcome = 'section_47') AS section_47
    FROM referral r WHERE {REFERRALS_IN_SCOPE}
    GROUP BY r.received_week
"""

REFERRER_TOLD = f"""
    SELECT r.received_week AS week,
        {timeliness("told", "r.referrer_told_at", "r.referrer_told_due_at")}
    FROM referral r WHERE {REFERRALS_IN_SCOPE} AND r.referrer_told_due_at IS NOT NULL
    GROUP BY r.received_week
"""

RE_REFERRALS = f"""
    SELECT r.received_week AS week, count(*) AS referrals,
           count(*) FILTER (WHERE r.re_referral) AS re_referrals
    FROM referral r WHERE {REFERRALS_IN_SCOPE}
    GROUP BY r.received_week
"""


async def conversion(conn: Conn, scope: Scope) -> m.Conversion:
    """Referrals by decision outcome, and those whose strategy discussion decided section 47."""
    totals, weeks = await by_week(conn, CONVERSION, *scope.args)

    def stats(c: Counts | None) -> Counts:
        if not c:
            return {}
        return {
            "referrals": c["referrals"],
            "decided": c["decided"],
            "outcomes": {o: c[o.value] for o in DecisionOutcome},
            "section_47": c["section_47"],
        }

    return m.Conversion(
        period=m.ConversionStats(**stats(totals)),
        weeks=[m.ConversionWeek(week_start=w, **stats(weeks.get(w))) for w in scope.period.weeks],
    )


async def referrer_told(conn: Conn, scope: Scope) -> m.ReferrerTold:
    """Referrers told the outcome by the time the policy allows after the decision."""
    totals, weeks = await by_week(conn, REFERRER_TOLD, *scope.args_at_now)
    return m.ReferrerTold(
        period=m.ReferrerToldStats(referrer_told=rate(totals, "told")),
        weeks=[
            m.ReferrerToldWeek(week_start=w, referrer_told=rate(weeks.get(w), "told"))
            for w in scope.period.weeks
        ],
    )


async def re_referrals(conn: Conn, scope: Scope) -> m.ReReferrals:
    """Referrals of a child referred in the 12 months before (the flag set at registration)."""
    totals, weeks = await by_week(conn, RE_REFERRALS, *scope.args)
    return m.ReReferrals(
        period=m.ReReferralStats(**totals),
        weeks=[m.ReReferralWeek(week_start=w, **weeks.get(w, {})) for w in scope.period.weeks],
    )
