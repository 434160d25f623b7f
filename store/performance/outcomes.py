"""The measures of what became of contacts and referrals: what was decided (`conversion`),
whether the referrer was acknowledged and told the outcome in time (`referrers`), and children
referred again within twelve months of a previous referral's closure (`re_referrals`).
Parameters as in store/performance/scope.py.
"""

from __future__ import annotations

from domain import measures as m
from domain.policy import DecisionOutcome, StrategyOutcome
from store.performance.scope import REFERRALS_IN_SCOPE, Counts, Scope, by_week, rate, timeliness
from store.pool import Conn

# The outcome names are the domain's constants, not input, so they may go into the SQL.
_OUTCOMES = ", ".join(
    f"count(*) FILTER (WHERE r.outcome = '{o.value}') AS {o.value}" for o in DecisionOutcome
)
_CLOSING = ", ".join(f"'{o.value}'" for o in DecisionOutcome if o.closes_case)
_STRATEGY = "r.outcome IN ({})".format(
    ", ".join(f"'{o.value}'" for o in DecisionOutcome if o.holds_strategy_discussion)
)
# What each referral became (m.RESPONSES): exclusive, in this order of the CASE.
_RESPONSE = f"""CASE
    WHEN r.outcome IS NULL OR r.outcome = '{DecisionOutcome.referral}' THEN 'pending'
    WHEN r.outcome IN ({_CLOSING}) THEN 'step_down'
    WHEN r.strategy_outcome = '{StrategyOutcome.section_47}' THEN 'section_47'
    WHEN r.outcome = '{DecisionOutcome.assessment}'
        OR r.strategy_outcome = '{StrategyOutcome.assessment}' THEN 'assessment'
    WHEN {_STRATEGY} AND r.strategy_outcome IS NULL THEN 'strategy_pending'
    ELSE 'strategy_nfa' END"""
_RESPONSES = ", ".join(
    f"count(*) FILTER (WHERE r.referral_at IS NOT NULL AND {_RESPONSE} = '{name}')"
    f" AS response_{name}"
    for name in m.RESPONSES
)

CONVERSION = f"""
    SELECT r.received_week AS week, count(*) AS contacts,
           count(*) FILTER (WHERE r.outcome IS NOT NULL) AS decided, {_OUTCOMES},
           count(r.referral_at) AS referrals, {_RESPONSES}
    FROM referral r WHERE {REFERRALS_IN_SCOPE}
    GROUP BY r.received_week
"""

_ACKNOWLEDGED = timeliness(
    "ack",
    "r.acknowledged_at",
    "r.acknowledgement_due_at",
    among="r.acknowledgement_due_at IS NOT NULL",
    owed=True,
)
_TOLD = timeliness(
    "told",
    "r.referrer_told_at",
    "r.referrer_feedback_due_at",
    among="r.referrer_feedback_due_at IS NOT NULL",
    owed=True,
)

REFERRERS = f"""
    SELECT r.received_week AS week, {_ACKNOWLEDGED}, {_TOLD}
    FROM referral r WHERE {REFERRALS_IN_SCOPE}
      AND (r.acknowledgement_due_at IS NOT NULL OR r.referrer_feedback_due_at IS NOT NULL)
    GROUP BY r.received_week
"""


def _closed_in_the_year_before(key: str) -> str:
    """An earlier referral of the same child (by keyed identifier `key`, a column name) that
    closed in the 12 calendar months (London time) up to this one's referral; the boundary
    instant counts."""
    return f"""EXISTS (SELECT 1 FROM referral o
        WHERE o.{key} = r.{key} AND o.referral_at IS NOT NULL AND o.referral_id <> r.referral_id
          AND o.closed_at <= r.referral_at
          AND o.closed_at >= (r.referral_at AT TIME ZONE 'Europe/London' - interval '12 months')
                             AT TIME ZONE 'Europe/London')"""


RE_REFERRALS = f"""
    SELECT r.received_week AS week, count(*) AS referrals,
           count(*) FILTER (WHERE {_closed_in_the_year_before("child_nhs_number")}
               OR {_closed_in_the_year_before("child_match_key")}) AS re_referrals
    FROM referral r WHERE {REFERRALS_IN_SCOPE} AND r.referral_at IS NOT NULL
    GROUP BY r.received_week
"""


async def conversion(conn: Conn, scope: Scope) -> m.Conversion:
    """Contacts by final outcome and referrals made; referrals by what they became."""
    totals, weeks = await by_week(conn, CONVERSION, *scope.args)

    def stats(c: Counts | None) -> Counts:
        if not c:
            return {}
        return {
            "contacts": c["contacts"],
            "decided": c["decided"],
            "outcomes": {o: c[o.value] for o in DecisionOutcome},
            "referrals": c["referrals"],
            "responses": {name: c[f"response_{name}"] for name in m.RESPONSES},
        }

    return m.Conversion(
        period=m.ConversionStats(**stats(totals)),
        weeks=[m.ConversionWeek(week_start=w, **stats(weeks.get(w))) for w in scope.period.weeks],
    )


async def referrers(conn: Conn, scope: Scope) -> m.Referrers:
    """Referrers acknowledged and told the outcome by their due times, as staff recorded."""
    totals, weeks = await by_week(conn, REFERRERS, *scope.args_at_now)

    def stats(c: Counts | None) -> Counts:
        return {"acknowledged": rate(c, "ack"), "told": rate(c, "told")}

    return m.Referrers(
        period=m.ReferrerStats(**stats(totals)),
        weeks=[m.ReferrerWeek(week_start=w, **stats(weeks.get(w))) for w in scope.period.weeks],
    )


async def re_referrals(conn: Conn, scope: Scope) -> m.ReReferrals:
    """Referrals of a child whose previous referral closed in the 12 months before."""
    totals, weeks = await by_week(conn, RE_REFERRALS, *scope.args)
    return m.ReReferrals(
        period=m.ReReferralStats(**totals),
        weeks=[m.ReReferralWeek(week_start=w, **weeks.get(w, {})) for w in scope.period.weeks],
    )
