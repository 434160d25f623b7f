"""Timescale and escalation policies: versioned data, one `TimescalePolicy` per edition.

A case keeps the policy version it started under (named in its input), so a new edition is a new
entry in `domain.editions.POLICIES`, never an edit of an existing one. Every due time and
escalation rung is an aware datetime in UTC, computed with the England working-day calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from itertools import pairwise
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.calendar import DEFAULT_CALENDAR, WorkingCalendar, add_hours


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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Timescale(_Frozen):
    """How long a step may take: either clock hours or working days, exactly one of them."""

    hours: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    working_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.hours is None) == (self.working_days is None):
            raise ValueError("a timescale has exactly one of hours or working_days")
        return self

    def due_from(self, start: datetime, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> datetime:
        """When a step that counts from `start` is due, in UTC."""
        if self.working_days is not None:
            return calendar.add_working_days(start, self.working_days)
        assert self.hours is not None  # guaranteed by _exactly_one
        return add_hours(start, self.hours)


class RagTimescales(_Frozen):
    """One timescale per RAG rating."""

    red: Timescale
    amber: Timescale
    green: Timescale

    def for_rag(self, rag: Rag) -> Timescale:
        """The timescale for `rag`."""
        match rag:
            case Rag.red:
                return self.red
            case Rag.amber:
                return self.amber
            case Rag.green:
                return self.green


class StrategyDiscussionTimescales(_Frozen):
    """How soon a strategy discussion is held: faster where immediate protection was decided."""

    immediate_protection: Timescale
    otherwise: Timescale


class VisitTimescales(_Frozen):
    """How soon the child is seen, per kind of visit."""

    child_protection: Timescale
    assessment: Timescale

    def for_kind(self, kind: VisitKind) -> Timescale:
        """The timescale for a visit of `kind`."""
        match kind:
            case VisitKind.child_protection:
                return self.child_protection
            case VisitKind.assessment:
                return self.assessment


class RungSpec(_Frozen):
    """One rung of an escalation ladder, placed at `offset` windows after the due time.

    The window W is the due time minus the instant the timescale counts from, so a rung at
    offset -0.25 fires at due - W/4 and one at offset 1 at due + W.
    """

    level: int = Field(ge=0)
    role: Role
    offset: float = Field(ge=-1, allow_inf_nan=False)


class EscalationLadder(_Frozen):
    """The rungs a stalled step climbs, in order: levels and offsets both strictly increase."""

    rungs: tuple[RungSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for lower, upper in pairwise(self.rungs):
            if upper.level <= lower.level or upper.offset <= lower.offset:
                raise ValueError("escalation rungs must strictly increase in level and offset")
        return self


class Rung(_Frozen):
    """An escalation rung placed in time: at `at` (UTC), escalate to `role` at `level`."""

    level: int
    role: Role
    at: datetime


class TimescalePolicy(_Frozen):
    """Every step's timescale and the escalation ladder, as one named, versioned edition.

    What each timescale counts from: screening and the decision from the referral's receipt;
    agency checks from screening completed; the strategy discussion, the referrer being told and
    the visit from the decision (or, for the visit, the strategy discussion); a visit re-attempt
    from the failed attempt; the review of new information from its arrival.
    """

    version: str = Field(min_length=1, max_length=100)
    screening: Timescale
    agency_checks: RagTimescales
    decision: RagTimescales
    strategy_discussion: StrategyDiscussionTimescales
    visit: VisitTimescales
    visit_reattempt: Timescale
    referrer_told: Timescale
    review_new_information: Timescale
    escalation: EscalationLadder

    def timescale_for(
        self,
        step: Step,
        *,
        rag: Rag | None = None,
        outcome: DecisionOutcome | StrategyOutcome | VisitKind | None = None,
    ) -> Timescale:
        """The timescale of `step`. Agency checks and the decision need `rag`; the strategy
        discussion needs the decision `outcome`; the visit needs the outcome that calls for it."""
        match step:
            case Step.screening:
                return self.screening
            case Step.agency_check:
                if rag is None:
                    raise _missing("rag", step)
                return self.agency_checks.for_rag(rag)
            case Step.decision:
                if rag is None:
                    raise _missing("rag", step)
                return self.decision.for_rag(rag)
            case Step.strategy_discussion:
                if outcome is None:
                    raise _missing("outcome", step)
                if outcome == DecisionOutcome.immediate_protection:
                    return self.strategy_discussion.immediate_protection
                if outcome == DecisionOutcome.strategy_discussion:
                    return self.strategy_discussion.otherwise
                raise ValueError(f"outcome {outcome!r} does not lead to a strategy discussion")
            case Step.visit:
                if outcome is None:
                    raise _missing("outcome", step)
                return self.visit.for_kind(visit_kind(outcome))
            case Step.visit_reattempt:
                return self.visit_reattempt
            case Step.referrer_told:
                return self.referrer_told
            case Step.review_new_information:
                return self.review_new_information

    def due(
        self,
        step: Step,
        start: datetime,
        *,
        rag: Rag | None = None,
        outcome: DecisionOutcome | StrategyOutcome | VisitKind | None = None,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
    ) -> datetime:
        """When `step`, counting from `start`, is due (UTC); see `timescale_for`."""
        return self.timescale_for(step, rag=rag, outcome=outcome).due_from(start, calendar)

    def screening_due(
        self, received_at: datetime, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """When screening of a referral received at `received_at` is due."""
        return self.screening.due_from(received_at, calendar)

    def checks_due(
        self, screened_at: datetime, rag: Rag, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """When agency checks asked for at screening (completed at `screened_at`) are due."""
        return self.agency_checks.for_rag(rag).due_from(screened_at, calendar)

    def decision_due(
        self, received_at: datetime, rag: Rag, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """When the decision on a referral received at `received_at` is due."""
        return self.decision.for_rag(rag).due_from(received_at, calendar)

    def strategy_discussion_due(
        self,
        decided_at: datetime,
        outcome: DecisionOutcome,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
    ) -> datetime:
        """When the strategy discussion called for by a decision `outcome` is due."""
        return self.due(Step.strategy_discussion, decided_at, outcome=outcome, calendar=calendar)

    def visit_due(
        self,
        start: datetime,
        kind: VisitKind | DecisionOutcome | StrategyOutcome,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
    ) -> datetime:
        """When the visit is due, counting from the decision or strategy discussion at `start`;
        `kind` is the visit kind or the outcome that called for the visit."""
        return self.visit.for_kind(visit_kind(kind)).due_from(start, calendar)

    def visit_reattempt_due(
        self, attempted_at: datetime, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """When the next visit is due after an attempt at `attempted_at` where the child was not
        seen."""
        return self.visit_reattempt.due_from(attempted_at, calendar)

    def referrer_told_due(
        self, decided_at: datetime, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """When the referrer must have been told the outcome of a decision made at `decided_at`."""
        return self.referrer_told.due_from(decided_at, calendar)

    def review_due(
        self, arrived_at: datetime, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """When the review of new information that arrived at `arrived_at` is due."""
        return self.review_new_information.due_from(arrived_at, calendar)

    def ladder(self, start: datetime, due: datetime) -> list[Rung]:
        """This policy's escalation rungs for a step counting from `start` and due at `due`."""
        return ladder(start, due, self)


def _missing(name: str, step: Step) -> ValueError:
    return ValueError(f"the {step} timescale depends on {name}; pass {name}=...")


def ladder(start: datetime, due: datetime, policy: TimescalePolicy) -> list[Rung]:
    """The escalation rungs, in order, of a step counting from `start` and due at `due` (UTC).

    The window W = due - start is the step's whole timescale as it fell on the calendar (a
    weekend inside a working-day timescale widens it), so rungs scale with the time allowed.
    """
    if start.utcoffset() is None or due.utcoffset() is None:
        raise ValueError("start and due must be timezone-aware")
    if due < start:
        raise ValueError(f"due {due.isoformat()} is before start {start.isoformat()}")
    window = due - start
    return [
        Rung(level=spec.level, role=spec.role, at=(due + window * spec.offset).astimezone(UTC))
        for spec in policy.escalation.rungs
    ]
