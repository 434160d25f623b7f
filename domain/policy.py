"""Timescale and escalation policies: versioned data, one `TimescalePolicy` per edition.

A case keeps the policy version it started under (named in its input), so a new edition is a new
file under domain/policies/ (loaded into `domain.editions.POLICIES`), never an edit of an existing
one. Every due time and escalation rung is an aware datetime in UTC, computed with the England
working-day calendar and the working pattern of the team doing the step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from domain.calendar import (
    ALL_HOURS,
    DEFAULT_CALENDAR,
    OFFICE_HOURS,
    WorkingCalendar,
    WorkingPattern,
)
from domain.steps import (
    REFERRAL_RESPONSES,
    DecisionOutcome,
    Rag,
    Role,
    Step,
    StrategyOutcome,
    VisitKind,
    visit_kind,
)

__all__ = [
    "MAX_HOURS",
    "MAX_WORKING_DAYS",
    "REFERRAL_RESPONSES",
    "DecisionOutcome",
    "EscalationLadder",
    "IntakeRules",
    "Margin",
    "Rag",
    "RagTimescales",
    "Role",
    "Rung",
    "RungSpec",
    "Step",
    "StrategyDiscussionTimescales",
    "StrategyOutcome",
    "TableEntryError",
    "Timescale",
    "TimescalePolicy",
    "VisitKind",
    "VisitTimescales",
    "ladder",
    "visit_kind",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


MAX_HOURS = 24 * 366
"""The longest hour timescale a policy may set (a year): counting stays quick and in range."""

MAX_WORKING_DAYS = 366
"""The longest working-day timescale a policy may set."""


class Timescale(_Frozen):
    """How long a step may take: either hours or working days, exactly one of them.

    Hours count inside the working pattern of the team doing the step (clock hours for an
    all-hours team), unless `all_hours` says they are clock hours whatever the team's pattern
    (a child protection visit within 24 hours). Working days follow the calendar's rule whatever
    the pattern (see `WorkingCalendar.add_working_days`).
    """

    hours: float | None = Field(default=None, gt=0, le=MAX_HOURS, allow_inf_nan=False)
    working_days: int | None = Field(default=None, ge=1, le=MAX_WORKING_DAYS)
    all_hours: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.hours is None) == (self.working_days is None):
            raise ValueError("a timescale has exactly one of hours or working_days")
        if self.all_hours and self.hours is None:
            raise ValueError("all_hours applies to a timescale in hours only")
        return self

    def due_from(
        self,
        start: datetime,
        calendar: WorkingCalendar = DEFAULT_CALENDAR,
        pattern: WorkingPattern = ALL_HOURS,
    ) -> datetime:
        """When a step that counts from `start` is due, in UTC, for a team working `pattern`."""
        if self.working_days is not None:
            return calendar.add_working_days(start, self.working_days)
        assert self.hours is not None  # guaranteed by _exactly_one
        return (ALL_HOURS if self.all_hours else pattern).add_hours(start, self.hours, calendar)


class Margin(_Frozen):
    """A length of clock time kept free before another deadline (the checks margin)."""

    hours: float = Field(default=0, ge=0, le=MAX_HOURS, allow_inf_nan=False)

    def as_timedelta(self) -> timedelta:
        return timedelta(hours=self.hours)


class IntakeRules(_Frozen):
    """The dates an intake may carry (checked by the API): a contact received no longer ago than
    `received_within_days` and no later than `future_grace_minutes` from now (clocks differ), a
    date of birth on or after `earliest_birth_date`, an expected due date (an unborn child)
    within `expected_due_within_days`."""

    received_within_days: int = Field(default=730, ge=1, le=36_500)
    future_grace_minutes: int = Field(default=5, ge=0, le=1_440)
    earliest_birth_date: date = date(1900, 1, 1)
    expected_due_within_days: int = Field(default=300, ge=1, le=36_500)


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
    offset: float = Field(ge=-1, le=100, allow_inf_nan=False)


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


class TableEntryError(ValueError):
    """A problem with one entry, `key`, of a table (the policy files put it on that key's line)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _default_patterns() -> dict[str, WorkingPattern]:
    return {"office": OFFICE_HOURS, "all_hours": ALL_HOURS}


class TimescalePolicy(_Frozen):
    """Every step's timescale, the working patterns and the escalation ladder, as one named,
    versioned edition (a TOML file under domain/policies/, see domain/policy_files.py). What
    each timescale counts from is in docs/process.md. Hours count in the working pattern of the
    step's team (`teams`, else `default_pattern`); every computation uses England's calendar
    plus `extra_holidays`.
    """

    version: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    extra_holidays: frozenset[date] = frozenset()
    patterns: dict[str, WorkingPattern] = Field(default_factory=_default_patterns, min_length=1)
    default_pattern: str = "office"
    teams: dict[str, str] = Field(default_factory=dict)
    screening: Timescale
    agency_checks: RagTimescales
    checks_margin: Margin = Margin()
    mash_decision: RagTimescales
    referral_decision: Timescale
    acknowledgement: Timescale
    referrer_feedback: Timescale
    strategy_discussion: StrategyDiscussionTimescales
    visit: VisitTimescales
    visit_reattempt: Timescale
    handover: Timescale
    assessment: Timescale
    icpc: Timescale
    review_new_information: Timescale
    mace: Timescale = Timescale(working_days=5)  # (defaults: editions from before the pathway)
    nrm: Timescale = Timescale(working_days=2)
    escalation: EscalationLadder
    intake: IntakeRules = IntakeRules()

    @field_validator("default_pattern")
    @classmethod
    def _default_is_a_pattern(cls, name: str, info: ValidationInfo) -> str:
        patterns = info.data.get("patterns")
        if patterns is not None and name not in patterns:
            raise ValueError(f"no working pattern {name!r} (patterns: {', '.join(patterns)})")
        return name

    @field_validator("teams")
    @classmethod
    def _teams_name_patterns(cls, teams: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        patterns = info.data.get("patterns")
        if patterns is not None:
            for team, name in teams.items():
                if name not in patterns:
                    raise TableEntryError(
                        team,
                        f"team {team!r} names no working pattern {name!r} "
                        f"(patterns: {', '.join(patterns)})",
                    )
        return teams

    @property
    def calendar(self) -> WorkingCalendar:
        """England's working days less this policy's `extra_holidays`."""
        return WorkingCalendar(extra_holidays=self.extra_holidays)

    def pattern_for(self, team: str | None) -> WorkingPattern:
        """The working pattern of `team` (None: the front door's own, `default_pattern`)."""
        name = self.default_pattern if team is None else self.teams.get(team, self.default_pattern)
        return self.patterns[name]

    def timescale_for(
        self,
        step: Step,
        *,
        rag: Rag | None = None,
        outcome: DecisionOutcome | StrategyOutcome | VisitKind | None = None,
    ) -> Timescale:
        """The timescale of `step`. Agency checks and the MASH decision need `rag`; the strategy
        discussion needs the decision `outcome`; the visit needs the outcome that calls for it."""
        match step:
            case Step.agency_check | Step.mash_decision:
                if rag is None:
                    raise _missing("rag", step)
                by_rag = self.agency_checks if step is Step.agency_check else self.mash_decision
                return by_rag.for_rag(rag)
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
            case Step.mace_action:
                raise ValueError("a MACE action is due on its agreed date (agreed_due)")
            case _:
                return self._single_timescales()[step]

    def _single_timescales(self) -> dict[Step, Timescale]:
        return {
            Step.screening: self.screening,
            Step.referral_decision: self.referral_decision,
            Step.acknowledgement: self.acknowledgement,
            Step.referrer_feedback: self.referrer_feedback,
            Step.visit_reattempt: self.visit_reattempt,
            Step.handover: self.handover,
            Step.assessment: self.assessment,
            Step.icpc: self.icpc,
            Step.review_new_information: self.review_new_information,
            Step.mace: self.mace,
            Step.nrm: self.nrm,
        }

    def due(
        self,
        step: Step,
        start: datetime,
        *,
        rag: Rag | None = None,
        outcome: DecisionOutcome | StrategyOutcome | VisitKind | None = None,
        team: str | None = None,
    ) -> datetime:
        """When `step`, counting from `start` and done by `team`, is due (UTC); see
        `timescale_for`. For agency checks this is the uncapped due time: see `checks_due`."""
        timescale = self.timescale_for(step, rag=rag, outcome=outcome)
        return timescale.due_from(start, self.calendar, self.pattern_for(team))

    def checks_due(
        self,
        screened_at: datetime,
        rag: Rag,
        mash_decision_due: datetime | None = None,
        *,
        team: str | None = None,
    ) -> datetime:
        """When an agency check asked for at screening (completed at `screened_at`) is due: the
        RAG timescale in `team`'s pattern, but no later than `checks_margin` before the MASH
        decision is due (when given), and never before `screened_at`."""
        due = self.due(Step.agency_check, screened_at, rag=rag, team=team)
        if mash_decision_due is not None:
            _require_aware(mash_decision_due)
            due = min(due, mash_decision_due - self.checks_margin.as_timedelta())
        return max(due, screened_at).astimezone(UTC)

    def is_out_of_hours(self, instant: datetime, team: str | None = None) -> bool:
        """Whether `instant` falls outside `team`'s working pattern."""
        return not self.pattern_for(team).is_open(instant, self.calendar)

    def ladder(self, start: datetime, due: datetime, *, team: str | None = None) -> list[Rung]:
        """This policy's escalation rungs for a step of `team` counting from `start`, due at
        `due`."""
        return ladder(start, due, self, team=team)


def _missing(name: str, step: Step) -> ValueError:
    return ValueError(f"the {step} timescale depends on {name}; pass {name}=...")


def _require_aware(instant: datetime) -> None:
    if instant.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got naive {instant.isoformat()}")


def ladder(
    start: datetime, due: datetime, policy: TimescalePolicy, *, team: str | None = None
) -> list[Rung]:
    """The escalation rungs, in order, of a step of `team` counting from `start` and due at `due`
    (UTC).

    The window W = due - start is the step's whole timescale as it fell on the calendar (a
    weekend inside a working-day timescale widens it), so rungs scale with the time allowed. A
    rung above the reminder (level 1 and up) that falls outside the team's working pattern goes
    to the emergency duty team, at its level, instead of a manager who is off duty.
    """
    _require_aware(start)
    _require_aware(due)
    if due < start:
        raise ValueError(f"due {due.isoformat()} is before start {start.isoformat()}")
    window = due - start
    rungs = []
    for spec in policy.escalation.rungs:
        at = (due + window * spec.offset).astimezone(UTC)
        role = spec.role
        if spec.level >= 1 and policy.is_out_of_hours(at, team):
            role = Role.emergency_duty
        rungs.append(Rung(level=spec.level, role=role, at=at))
    return rungs
