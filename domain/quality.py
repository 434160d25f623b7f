"""Quality assurance, pure: Ofsted's grades, the audit form's questions, and drawing a month's
sample of closed cases and assigning it to auditors (docs/quality-assurance.md).

A draw is reproducible: the same candidates, rules and seed give the same cases, the same
moderation picks and the same auditors, so a recorded seed lets anyone repeat it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from domain.policy import DecisionOutcome, Role
from domain.tasks import ExploitationRisk

TOP_RUNG = 3
"""The escalation ladder's top rung (head of service)."""


class Grade(StrEnum):
    """Ofsted's scale, best first."""

    outstanding = "outstanding"
    good = "good"
    requires_improvement = "requires_improvement"
    inadequate = "inadequate"


class Question(StrEnum):
    """The audit form's questions, each graded with evidence."""

    child_seen = "child_seen"
    """Was the child seen, and seen alone?"""
    lived_experience = "lived_experience"
    """Is the child's voice and daily life recorded?"""
    household_history = "household_history"
    """Were the household and the history considered (professional curiosity)?"""
    agencies = "agencies"
    """Were the right agencies asked, and did they answer on time?"""
    decision = "decision"
    """Was the decision timely and proportionate?"""
    management_oversight = "management_oversight"
    """Was there management oversight?"""
    exploitation = "exploitation"
    """Was exploitation considered?"""


class AuditStatus(StrEnum):
    assigned = "assigned"
    submitted = "submitted"
    moderated = "moderated"


class ActionStatus(StrEnum):
    open = "open"
    done = "done"


class Reason(StrEnum):
    """Why a case is in the sample."""

    random = "random"
    re_referral = "re_referral"
    nfa = "nfa"
    top_rung = "top_rung"
    exploitation = "exploitation"


class SampleRules(BaseModel):
    """How a sample is drawn; recorded with the sample."""

    random_share: float = Field(default=0.1, ge=0, le=1)
    """Share of the month's closed cases drawn at random (after the cases the rules include)."""
    nfa_share: float = Field(default=0.25, ge=0, le=1)
    """Share of the no-further-action outcomes always included."""
    moderation_share: float = Field(default=0.2, ge=0, le=1)
    """Share of the drawn audits moderated by a second auditor."""


@dataclass(frozen=True)
class Candidate:
    """A case closed in the month, with what the rules look at."""

    referral_id: UUID
    re_referral: bool
    outcome: str | None
    escalation_level: int
    exploitation_risk: str | None


@dataclass(frozen=True)
class Pick:
    referral_id: UUID
    reasons: tuple[Reason, ...]
    to_moderate: bool = False


_EXPLOITED = {ExploitationRisk.significant.value, ExploitationRisk.experiencing.value}


def _always(candidate: Candidate) -> list[Reason]:
    reasons = []
    if candidate.re_referral:
        reasons.append(Reason.re_referral)
    if candidate.escalation_level >= TOP_RUNG:
        reasons.append(Reason.top_rung)
    if candidate.exploitation_risk in _EXPLOITED:
        reasons.append(Reason.exploitation)
    return reasons


def _share(rng: random.Random, pool: list[Candidate], share: float) -> list[Candidate]:
    return rng.sample(pool, math.ceil(share * len(pool))) if pool else []


def draw_sample(candidates: list[Candidate], rules: SampleRules, seed: int) -> list[Pick]:
    """The cases to audit: every re-referral, top-rung escalation and exploitation risk, a share
    of the no-further-action outcomes, and a random share of the rest; then a share of those
    marked for moderation. In referral id order; the same inputs give the same picks."""
    rng = random.Random(seed)  # noqa: S311 - reproducible from the recorded seed, not a secret
    ordered = sorted(candidates, key=lambda c: str(c.referral_id))
    reasons: dict[UUID, list[Reason]] = {}
    for candidate in ordered:
        if always := _always(candidate):
            reasons[candidate.referral_id] = always
    nfa = [c for c in ordered if c.outcome == DecisionOutcome.nfa.value]
    for candidate in _share(rng, nfa, rules.nfa_share):
        reasons.setdefault(candidate.referral_id, []).append(Reason.nfa)
    rest = [c for c in ordered if c.referral_id not in reasons]
    for candidate in rng.sample(rest, min(len(rest), math.ceil(rules.random_share * len(ordered)))):
        reasons[candidate.referral_id] = [Reason.random]
    chosen = sorted(reasons, key=str)
    moderated = set(rng.sample(chosen, math.ceil(rules.moderation_share * len(chosen))))
    return [Pick(r, tuple(reasons[r]), r in moderated) for r in chosen]


class NoAuditorError(ValueError):
    """Every auditor worked the case: nobody is left to audit it."""


def assign(
    picks: list[Pick], auditors: list[str], worked_by: dict[UUID, set[str]]
) -> dict[UUID, str]:
    """An auditor for each pick who did not work the case (`worked_by`), spreading the work: the
    eligible auditor with the fewest cases so far, by name on a tie."""
    load = dict.fromkeys(sorted(set(auditors)), 0)
    chosen: dict[UUID, str] = {}
    for pick in picks:
        eligible = [a for a in load if a not in worked_by.get(pick.referral_id, set())]
        if not eligible:
            raise NoAuditorError(
                f"every auditor worked case {pick.referral_id}; add an auditor who did not"
            )
        auditor = min(eligible, key=lambda a: (load[a], a))
        load[auditor] += 1
        chosen[pick.referral_id] = auditor
    return chosen


# ---- audit results in the performance framework (store/performance/audits.py) ---------------


class GradeCounts(BaseModel):
    """How many audits (or answers) got each grade."""

    outstanding: int = 0
    good: int = 0
    requires_improvement: int = 0
    inadequate: int = 0

    @property
    def graded(self) -> int:
        return self.outstanding + self.good + self.requires_improvement + self.inadequate

    @property
    def good_or_better_percent(self) -> float | None:
        graded = self.graded
        return round(100 * (self.outstanding + self.good) / graded, 1) if graded else None


class AuditMonth(BaseModel):
    """One London month of submitted audits: the overall grades (a moderator's resolved grade
    where they disagreed) and the grades per question."""

    month: str
    overall: GradeCounts
    good_or_better_percent: float | None
    by_question: dict[Question, GradeCounts]


class AuditResults(BaseModel):
    """Audit grades over time, by question and team, and learning actions open and overdue."""

    months: list[AuditMonth]
    themes: list[Question]
    """The questions most often graded below good over the period, most often first (those
    never below good left out): where learning is needed."""
    by_team: dict[str, GradeCounts]
    moderated: int
    moderator_disagreed: int
    actions_open: int
    actions_overdue: int


def escalation_role(days_overdue: int) -> Role:
    """Who an overdue learning action goes to, like a task's ladder: the team manager in its
    first week overdue, the service manager in its second, then the head of service."""
    if days_overdue <= 7:
        return Role.team_manager
    if days_overdue <= 14:
        return Role.service_manager
    return Role.head_of_service


class PlanStatus(StrEnum):
    """Where an improvement plan action stands."""

    not_started = "not_started"
    in_progress = "in_progress"
    done = "done"
