"""The steps of a case that have timescales, the outcomes that choose between them, and the roles
an escalation goes to. `domain.policy` re-exports every name here."""

from __future__ import annotations

from enum import StrEnum


class Rag(StrEnum):
    """The screening rating: red is the most urgent."""

    red = "red"
    amber = "amber"
    green = "green"


class Step(StrEnum):
    """A step of the referral that has its own timescale and escalation ladder."""

    screening = "screening"
    agency_check = "agency_check"
    # The contact's decision by a MASH manager, on the RAG timescale from receipt.
    mash_decision = "mash_decision"
    # The referral's decision on the type of response: one working day from `referral_at`.
    referral_decision = "referral_decision"
    # The referrer acknowledged (from receipt) and later told the outcome (from the decision).
    acknowledgement = "acknowledgement"
    referrer_feedback = "referrer_feedback"
    strategy_discussion = "strategy_discussion"
    visit = "visit"
    visit_reattempt = "visit_reattempt"
    # The receiving team accepts the case (from the child seen); the assessment completes (from
    # `referral_at`); the initial child protection conference (from the strategy discussion).
    handover = "handover"
    assessment = "assessment"
    icpc = "icpc"
    review_new_information = "review_new_information"
    # Harm outside the family: the MACE discussion (from the screening or decision that found
    # significant risk), each disruption action (due on its agreed date), the NRM referral.
    mace = "mace"
    mace_action = "mace_action"
    nrm = "nrm"


class DecisionOutcome(StrEnum):
    """What the front door decides: the MASH decision on a contact (nfa, advice, early help, or
    a referral whose response is decided next), the response to a referral (assessment,
    strategy discussion, immediate protection, step down), or both at once (a MASH decision of
    assessment, strategy discussion or immediate protection makes the referral and decides it)."""

    nfa = "nfa"
    advice = "advice"
    early_help = "early_help"
    referral = "referral"
    assessment = "assessment"
    strategy_discussion = "strategy_discussion"
    immediate_protection = "immediate_protection"
    step_down = "step_down"

    @property
    def closes_case(self) -> bool:
        """Whether the front door's work ends with this decision (no strategy, no visit)."""
        return self in (
            DecisionOutcome.nfa,
            DecisionOutcome.advice,
            DecisionOutcome.early_help,
            DecisionOutcome.step_down,
        )

    @property
    def makes_referral(self) -> bool:
        """Whether a MASH decision of this outcome makes the contact a referral."""
        return self not in (DecisionOutcome.nfa, DecisionOutcome.advice, DecisionOutcome.early_help)

    @property
    def is_response(self) -> bool:
        """Whether this outcome is a type of response to a referral (a referral decision)."""
        return self in REFERRAL_RESPONSES

    @property
    def holds_strategy_discussion(self) -> bool:
        """Whether a strategy discussion follows (at once, for immediate protection)."""
        return self in (DecisionOutcome.strategy_discussion, DecisionOutcome.immediate_protection)

    @property
    def visits_at_once(self) -> bool:
        """Whether the child is visited straight after the decision, before any discussion."""
        return self in (DecisionOutcome.assessment, DecisionOutcome.immediate_protection)


REFERRAL_RESPONSES = frozenset(
    {
        DecisionOutcome.assessment,
        DecisionOutcome.strategy_discussion,
        DecisionOutcome.immediate_protection,
        DecisionOutcome.step_down,
    }
)
"""The types of response a referral decision chooses from."""


class StrategyOutcome(StrEnum):
    """What a strategy discussion decides."""

    section_47 = "section_47"
    assessment = "assessment"
    nfa = "nfa"


class VisitKind(StrEnum):
    """Which visit timescale applies: child protection (24 hours) or assessment (working days)."""

    child_protection = "child_protection"
    assessment = "assessment"


class Role(StrEnum):
    """Who an escalation rung goes to, from the practitioner upwards."""

    assignee = "assignee"
    team_manager = "team_manager"
    service_manager = "service_manager"
    head_of_service = "head_of_service"
    # Out of the team's working hours a rung above the reminder goes to the emergency duty team.
    emergency_duty = "emergency_duty"


def visit_kind(outcome: DecisionOutcome | StrategyOutcome | VisitKind) -> VisitKind:
    """The visit a decision or strategy outcome calls for; ValueError if it calls for none.

    Immediate protection and section 47 enquiries are child protection visits; an assessment,
    decided at the front door or by a strategy discussion, is an assessment visit.
    """
    if outcome in (
        DecisionOutcome.immediate_protection,
        StrategyOutcome.section_47,
        VisitKind.child_protection,
    ):
        return VisitKind.child_protection
    # The enums are str-valued, so DecisionOutcome.assessment, StrategyOutcome.assessment and
    # VisitKind.assessment all compare equal to "assessment".
    if outcome == VisitKind.assessment:
        return VisitKind.assessment
    raise ValueError(f"outcome {outcome!r} does not lead to a visit")
