"""Human tasks: their kinds, the teams that own them, and what completing each one records."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, StrictBool, model_validator

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


def agency_team(agency: Agency) -> str:
    return f"agency:{agency}"


class ExploitationRisk(StrEnum):
    none = "none"
    emerging = "emerging"
    significant = "significant"
    experiencing = "experiencing"


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


class ExploitationScreening(InputModel):
    risk: ExploitationRisk
    indicators: list[Item] = Field(default_factory=list, max_length=50)


class DecisionResult(InputModel):
    kind: Literal["decision"] = "decision"
    outcome: DecisionOutcome
    rationale: str = Field(min_length=1, max_length=20_000)
    lived_experience: str = Field(max_length=20_000)
    household_considered: list[ShortItem] = Field(default_factory=list, max_length=30)
    household_not_considered_reason: str | None = Field(default=None, max_length=2_000)
    exploitation: ExploitationScreening | None = None
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
    | ReviewResult,
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
