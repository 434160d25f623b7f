"""Human tasks: their kinds, the teams that own them, and what completing each one records."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, StrictBool, model_validator

from domain.exploitation import ExploitationRisk as ExploitationRisk
from domain.exploitation import (
    ExploitationScreening,
    MaceActionResult,
    MaceResult,
    NrmResult,
)
from domain.inputs import InputModel, Item, ShortItem
from domain.policy import DecisionOutcome, Rag, StrategyOutcome


class TaskKind(StrEnum):
    screening = "screening"
    agency_check = "agency_check"
    decision = "decision"
    strategy_discussion = "strategy_discussion"
    visit = "visit"
    police_welfare_check = "police_welfare_check"
    review_new_information = "review_new_information"
    referral_decision = "referral_decision"
    acknowledgement = "acknowledgement"
    referrer_feedback = "referrer_feedback"
    handover = "handover"
    assessment_completed = "assessment_completed"
    child_protection_conference = "child_protection_conference"
    mace = "mace"
    mace_action = "mace_action"
    nrm_referral = "nrm_referral"


class TaskStatus(StrEnum):
    open = "open"
    completed = "completed"
    cancelled = "cancelled"
    superseded = "superseded"


class Agency(StrEnum):
    """The partners asked for what they know at the checks stage."""

    police = "police"
    health = "health"
    education = "education"
    csc_records = "csc_records"
    probation = "probation"
    housing = "housing"
    adult_social_care = "adult_social_care"
    early_help = "early_help"


class Team(StrEnum):
    """Teams that own tasks inside the council; partner agencies' teams are `agency_team(a)`."""

    practitioners = "front_door_practitioners"
    managers = "front_door_managers"
    exploitation = "exploitation"
    # The team a case is handed to after the visit (assessment and child protection).
    receiving = "receiving_team"


def agency_team(agency: Agency) -> str:
    return f"agency:{agency}"


class ContactMethod(StrEnum):
    """How the front door reached the referrer."""

    email = "email"
    phone = "phone"
    letter = "letter"
    in_person = "in_person"
    secure_message = "secure_message"


class AssessmentOutcome(StrEnum):
    """What a child and family assessment concluded."""

    nfa = "nfa"
    early_help = "early_help"
    child_in_need_plan = "child_in_need_plan"
    child_protection_enquiry = "child_protection_enquiry"
    looked_after = "looked_after"
    other = "other"


class Section47Outcome(StrEnum):
    """What a section 47 enquiry found."""

    not_substantiated = "not_substantiated"
    substantiated_not_at_risk = "substantiated_not_at_risk"
    substantiated_at_risk = "substantiated_at_risk"


class ConferenceOutcome(StrEnum):
    """What an initial child protection conference decided."""

    child_protection_plan = "child_protection_plan"
    no_plan = "no_plan"


class NotSeenReason(StrEnum):
    no_access = "no_access"
    refused = "refused"
    not_at_address = "not_at_address"


# Words that fill a box without saying anything about the child's life.
_PLACEHOLDER = re.compile(
    r"^(n/?a|none|nil|tbc|tba|to follow|see above|see notes|as above|unknown|not known|"
    r"no concerns?|x+|\.+|-+|lorem ipsum.*)$",
    re.IGNORECASE,
)
LIVED_EXPERIENCE_MIN = 40


class ScreeningResult(InputModel):
    kind: Literal["screening"] = "screening"
    rag: Rag
    rationale: str = Field(min_length=1, max_length=10_000)
    immediate_risk: StrictBool = False
    agencies: list[Agency] = Field(min_length=1, max_length=len(Agency))
    # Asked on every case: harm outside the family is screened for whatever the category.
    exploitation: ExploitationScreening

    @model_validator(mode="after")
    def _immediate_risk_is_red(self) -> Self:
        if self.immediate_risk and self.rag is not Rag.red:
            raise ValueError("a child at immediate risk is rated red")
        if len(set(self.agencies)) != len(self.agencies):
            raise ValueError("each agency can be asked only once")
        return self


class AgencyCheckResult(InputModel):
    kind: Literal["agency_check"] = "agency_check"
    known_to_agency: StrictBool
    information: str = Field(min_length=1, max_length=20_000)
    risk_indicators: list[Item] = Field(default_factory=list, max_length=50)
    responder_name: str = Field(min_length=1, max_length=200)


class _Decided(InputModel):
    """What every decision about a child carries: the reason, the child's lived experience, the
    household considered, and (where harm outside the family is a concern) an exploitation
    screening."""

    rationale: str = Field(min_length=1, max_length=20_000)
    lived_experience: str = Field(max_length=20_000)
    household_considered: list[ShortItem] = Field(default_factory=list, max_length=30)
    household_not_considered_reason: str | None = Field(default=None, max_length=2_000)
    exploitation: ExploitationScreening | None = None
    # Why a child at significant exploitation risk needs no more than this (a case with such a
    # risk closes as nfa, advice, early help or a step down only with a manager's reason).
    exploitation_closure_rationale: str | None = Field(default=None, max_length=10_000)
    factors: list[Item] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _lived_experience(self) -> Self:
        text = self.lived_experience.strip()
        if len(text) < LIVED_EXPERIENCE_MIN or _PLACEHOLDER.match(text):
            raise ValueError(
                "lived_experience must describe what life is like for the child "
                f"(at least {LIVED_EXPERIENCE_MIN} characters, not a placeholder)"
            )
        return self


class DecisionResult(_Decided):
    """The MASH decision on a contact: close it (nfa, advice, early help), make it a referral
    whose response is decided next (`referral`), or make it a referral and decide its response
    at once (assessment, strategy discussion, immediate protection)."""

    kind: Literal["decision"] = "decision"
    outcome: DecisionOutcome
    # Asked again at the MASH decision for every case (the referral's decision may repeat it).
    exploitation: ExploitationScreening

    @model_validator(mode="after")
    def _a_mash_outcome(self) -> Self:
        if self.outcome is DecisionOutcome.step_down:
            raise ValueError("step_down is a referral's response; close a contact as early_help")
        return self


class ReferralDecisionResult(_Decided):
    """The referral's decision on the type of response, within one working day of referral."""

    kind: Literal["referral_decision"] = "referral_decision"
    response: DecisionOutcome

    @model_validator(mode="after")
    def _a_response(self) -> Self:
        if not self.response.is_response:
            raise ValueError(
                "response must be one of assessment, strategy_discussion, immediate_protection, "
                "step_down"
            )
        return self


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must include a timezone offset")


class AcknowledgementResult(InputModel):
    """The referrer told their contact was received: how and when (what really happened)."""

    kind: Literal["acknowledgement"] = "acknowledgement"
    method: ContactMethod
    acknowledged_at: datetime
    note: str | None = Field(default=None, max_length=2_000)

    @model_validator(mode="after")
    def _aware_instant(self) -> Self:
        _aware("acknowledged_at", self.acknowledged_at)
        return self


class ReferrerFeedbackResult(InputModel):
    """The referrer told the outcome: how and when."""

    kind: Literal["referrer_feedback"] = "referrer_feedback"
    method: ContactMethod
    told_at: datetime
    note: str | None = Field(default=None, max_length=2_000)

    @model_validator(mode="after")
    def _aware_instant(self) -> Self:
        _aware("told_at", self.told_at)
        return self


class HandoverResult(InputModel):
    """The receiving team accepted the case."""

    kind: Literal["handover"] = "handover"
    accepted_at: datetime
    receiving_team: str = Field(min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=5_000)

    @model_validator(mode="after")
    def _aware_instant(self) -> Self:
        _aware("accepted_at", self.accepted_at)
        return self


class AssessmentCompletedResult(InputModel):
    """The child and family assessment completed, with its outcome."""

    kind: Literal["assessment_completed"] = "assessment_completed"
    completed_at: datetime
    outcome: AssessmentOutcome
    summary: str = Field(min_length=1, max_length=20_000)

    @model_validator(mode="after")
    def _aware_instant(self) -> Self:
        _aware("completed_at", self.completed_at)
        return self


class ChildProtectionConferenceResult(InputModel):
    """The section 47 enquiry's outcome and, where the child is at continuing risk of
    significant harm, the initial child protection conference held (date and outcome)."""

    kind: Literal["child_protection_conference"] = "child_protection_conference"
    section_47_outcome: Section47Outcome
    held_at: datetime | None = None
    conference_outcome: ConferenceOutcome | None = None
    rationale: str = Field(min_length=1, max_length=20_000)

    @model_validator(mode="after")
    def _held_when_at_risk(self) -> Self:
        _aware("held_at", self.held_at)
        at_risk = self.section_47_outcome is Section47Outcome.substantiated_at_risk
        if at_risk and (self.held_at is None or self.conference_outcome is None):
            raise ValueError(
                "a child at continuing risk of significant harm needs the initial conference: "
                "give held_at and conference_outcome"
            )
        if not at_risk and (self.held_at is not None or self.conference_outcome is not None):
            raise ValueError(
                "held_at and conference_outcome are only for an enquiry that found the child at "
                "continuing risk (section_47_outcome substantiated_at_risk)"
            )
        return self


class StrategyDiscussionResult(InputModel):
    kind: Literal["strategy_discussion"] = "strategy_discussion"
    held_at: datetime
    attendees: list[ShortItem] = Field(min_length=3, max_length=30)
    outcome: StrategyOutcome
    rationale: str = Field(min_length=1, max_length=20_000)

    @model_validator(mode="after")
    def _core_agencies_attended(self) -> Self:
        required = {"police", "health", "childrens_social_care"}
        missing = required - {a.strip().lower() for a in self.attendees}
        if missing:
            raise ValueError(
                "a strategy discussion needs police, health and childrens_social_care at least; "
                f"missing: {', '.join(sorted(missing))}"
            )
        if self.held_at.tzinfo is None:
            raise ValueError("held_at must include a timezone offset")
        return self


class VisitResult(InputModel):
    kind: Literal["visit"] = "visit"
    visited_at: datetime
    child_seen: StrictBool
    seen_alone: StrictBool = False
    not_seen_reason: NotSeenReason | None = None
    observations: str = Field(min_length=1, max_length=20_000)
    child_words: str | None = Field(default=None, max_length=20_000)

    @model_validator(mode="after")
    def _seen_or_why_not(self) -> Self:
        if not self.child_seen and self.not_seen_reason is None:
            raise ValueError("say why the child was not seen (not_seen_reason)")
        if self.child_seen and self.not_seen_reason is not None:
            raise ValueError("not_seen_reason is only for a visit where the child was not seen")
        if not self.child_seen and self.seen_alone:
            raise ValueError("a child who was not seen cannot have been seen alone")
        if self.visited_at.tzinfo is None:
            raise ValueError("visited_at must include a timezone offset")
        return self


class WelfareCheckResult(InputModel):
    kind: Literal["police_welfare_check"] = "police_welfare_check"
    child_seen: StrictBool
    observations: str = Field(min_length=1, max_length=20_000)


class ReviewResult(InputModel):
    kind: Literal["review_new_information"] = "review_new_information"
    rag: Rag | None = None
    rationale: str = Field(min_length=1, max_length=10_000)


TaskResult = Annotated[
    ScreeningResult
    | AgencyCheckResult
    | DecisionResult
    | StrategyDiscussionResult
    | VisitResult
    | WelfareCheckResult
    | ReviewResult
    | ReferralDecisionResult
    | AcknowledgementResult
    | ReferrerFeedbackResult
    | HandoverResult
    | AssessmentCompletedResult
    | ChildProtectionConferenceResult
    | MaceResult
    | MaceActionResult
    | NrmResult,
    Field(discriminator="kind"),
]


class CompleteTaskInput(InputModel):
    """The completion Update: which task, who completed it, and what they recorded."""

    task_id: str = Field(min_length=1, max_length=100)
    actor: str = Field(min_length=1, max_length=200)
    result: TaskResult


class AddInformationInput(InputModel):
    """The `add_information` Update: new information about an open case."""

    text: str = Field(min_length=1, max_length=20_000)
    source: str = Field(min_length=1, max_length=200)
    actor: str = Field(min_length=1, max_length=200)
