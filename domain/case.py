"""The live state of a case (what the workflow's query returns) and its closing summary."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from domain.policy import DecisionOutcome, Rag, Role, Rung, StrategyOutcome
from domain.tasks import (
    Agency,
    AssessmentOutcome,
    ConferenceOutcome,
    ExploitationRisk,
    Section47Outcome,
    TaskKind,
    TaskResult,
    TaskStatus,
)


class Stage(StrEnum):
    """Where a case is; also the values of the `Stage` search attribute."""

    screening = "screening"
    checks = "checks"
    decision = "decision"
    strategy_discussion = "strategy_discussion"
    visit = "visit"
    # Assessment and section 47 cases: the receiving team accepts the case and records the
    # assessment (45 working days from the referral) and the initial conference.
    handover = "handover"
    closed = "closed"


class Deadline(StrEnum):
    """A deadline the case keeps (shown on the case, written to the read model)."""

    screening = "screening"
    checks = "checks"
    mash_decision = "mash_decision"
    referral_decision = "referral_decision"
    acknowledgement = "acknowledgement"
    referrer_feedback = "referrer_feedback"
    strategy_discussion = "strategy_discussion"
    visit = "visit"
    handover = "handover"
    assessment = "assessment"
    icpc = "icpc"
    mace = "mace"
    nrm = "nrm"


class Milestone(StrEnum):
    """A moment the case records once it has happened (for the referrer's acknowledgement and
    feedback, the handover, the assessment and the conference: when staff say it happened)."""

    screened = "screened"
    mash_decided = "mash_decided"
    referred = "referred"
    referral_decided = "referral_decided"
    acknowledged = "acknowledged"
    referrer_told = "referrer_told"
    strategy_held = "strategy_held"
    child_seen = "child_seen"
    handed_over = "handed_over"
    assessment_completed = "assessment_completed"
    conference_held = "conference_held"
    mace_held = "mace_held"
    nrm_referred = "nrm_referred"
    closed = "closed"


# Each deadline that a milestone meets: the summary's `deadlines_met`.
MET_BY: dict[Deadline, Milestone] = {
    Deadline.screening: Milestone.screened,
    Deadline.mash_decision: Milestone.mash_decided,
    Deadline.referral_decision: Milestone.referral_decided,
    Deadline.acknowledgement: Milestone.acknowledged,
    Deadline.referrer_feedback: Milestone.referrer_told,
    Deadline.strategy_discussion: Milestone.strategy_held,
    Deadline.visit: Milestone.child_seen,
    Deadline.handover: Milestone.handed_over,
    Deadline.assessment: Milestone.assessment_completed,
    Deadline.icpc: Milestone.conference_held,
    Deadline.mace: Milestone.mace_held,
    Deadline.nrm: Milestone.nrm_referred,
}


class TaskView(BaseModel):
    """A human task as the case sees it."""

    task_id: str
    kind: TaskKind
    team: str
    agency: Agency | None = None
    status: TaskStatus = TaskStatus.open
    opened_at: datetime
    counts_from: datetime
    due_at: datetime
    attempt: int = 1
    escalation_level: int = 0
    # Claims live in the inbox (PostgreSQL); the API fills this in when it shows the case.
    assignee: str | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    result: TaskResult | None = None
    missing_checks: list[Agency] = Field(default_factory=list)
    earlier_referrals: list[UUID] = Field(default_factory=list)


class EscalationView(BaseModel):
    """One rung of a ladder that fired (or an escalation raised at once, e.g. a failed visit)."""

    task_id: str
    kind: TaskKind
    level: int
    role: Role
    rung_at: datetime
    fired_at: datetime
    reason: str
    told: str


class TimelineEntry(BaseModel):
    at: datetime
    event: str
    detail: str = ""


class CaseState(BaseModel):
    """What `GET /referrals/{id}` shows: the case as the workflow holds it now."""

    referral_id: UUID
    workflow_id: str
    policy_version: str
    received_at: datetime
    # When the system took the contact in (the gap from `received_at` is measured).
    recorded_at: datetime | None = None
    # When the contact became a referral to children's social care; None while a contact.
    referral_at: datetime | None = None
    stage: Stage
    rag: Rag | None = None
    immediate_risk: bool = False
    re_referral: bool = False
    earlier_referrals: list[UUID] = Field(default_factory=list)
    deadlines: dict[Deadline, datetime] = Field(default_factory=dict)
    milestones: dict[Milestone, datetime] = Field(default_factory=dict)
    tasks: list[TaskView] = Field(default_factory=list)
    escalations: list[EscalationView] = Field(default_factory=list)
    escalation_level: int = 0
    outcome: DecisionOutcome | None = None
    strategy_outcome: StrategyOutcome | None = None
    section_47_outcome: Section47Outcome | None = None
    assessment_outcome: AssessmentOutcome | None = None
    conference_outcome: ConferenceOutcome | None = None
    exploitation_risk: ExploitationRisk | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)


class ReferralSummary(BaseModel):
    """What a closed referral workflow returns."""

    referral_id: UUID
    outcome: DecisionOutcome | None
    strategy_outcome: StrategyOutcome | None = None
    milestones: dict[Milestone, datetime]
    deadlines: dict[Deadline, datetime]
    deadlines_met: dict[Deadline, bool]
    highest_escalation_level: int
    child_seen: bool


class OpenedTask(BaseModel):
    """A task a completion opened, so the caller can go straight to it."""

    task_id: str
    kind: TaskKind
    agency: Agency | None = None


class CompleteTaskOutcome(BaseModel):
    """The answer to a completion: the case's stage after it, and any tasks it opened."""

    task_id: str
    stage: Stage
    opened_task_ids: list[str] = Field(default_factory=list)
    opened_tasks: list[OpenedTask] = Field(default_factory=list)


class AddInformationOutcome(BaseModel):
    """The answer to new information: the review task opened (none if the case had closed)."""

    review_task_id: str | None
    stage: Stage


class CaseProgress(BaseModel):
    """The case read model row (no personal data), written by activities as the case moves.

    `revision` only grows, so an activity that finishes late never overwrites newer progress.
    """

    revision: int
    stage: Stage
    recorded_at: datetime | None = None
    referral_at: datetime | None = None
    rag: Rag | None = None
    immediate_risk: bool = False
    re_referral: bool = False
    escalation_level: int = 0
    outcome: DecisionOutcome | None = None
    strategy_outcome: StrategyOutcome | None = None
    section_47_outcome: Section47Outcome | None = None
    assessment_outcome: AssessmentOutcome | None = None
    conference_outcome: ConferenceOutcome | None = None
    exploitation_risk: ExploitationRisk | None = None
    deadlines: dict[Deadline, datetime] = Field(default_factory=dict)
    milestones: dict[Milestone, datetime] = Field(default_factory=dict)
    # The earliest due time among open tasks: overdue is `next_due_at <= now`, always current.
    next_due_at: datetime | None = None


def public_summary(result: TaskResult | None) -> dict[str, Any]:
    """The part of a task's result that may go to the read model and audit trail: codes and
    flags, never free text about the child or family."""
    if result is None:
        return {}
    match result.kind:
        case "screening":
            return {
                "rag": result.rag,
                "immediate_risk": result.immediate_risk,
                "agencies": list(result.agencies),
                "exploitation_risk": result.exploitation.risk if result.exploitation else None,
            }
        case "agency_check":
            return {
                "known_to_agency": result.known_to_agency,
                "risk_indicator_count": len(result.risk_indicators),
            }
        case "decision":
            return {
                "outcome": result.outcome,
                "exploitation_risk": result.exploitation.risk if result.exploitation else None,
            }
        case "strategy_discussion":
            return {"outcome": result.outcome, "held_at": result.held_at.isoformat()}
        case "visit":
            return {
                "child_seen": result.child_seen,
                "seen_alone": result.seen_alone,
                "not_seen_reason": result.not_seen_reason,
                "visited_at": result.visited_at.isoformat(),
            }
        case "police_welfare_check":
            return {"child_seen": result.child_seen}
        case "review_new_information":
            return {"rag": result.rag}
        case _:
            return _later_summary(result)


def _later_summary(result: TaskResult) -> dict[str, Any]:
    """`public_summary` of the tasks after the decision: the referrer loop, the receiving team,
    the exploitation pathway."""
    match result.kind:
        case "referral_decision":
            return {
                "response": result.response,
                "exploitation_risk": result.exploitation.risk if result.exploitation else None,
            }
        case "acknowledgement":
            return {"method": result.method, "at": result.acknowledged_at.isoformat()}
        case "referrer_feedback":
            return {"method": result.method, "at": result.told_at.isoformat()}
        case "handover":
            return {"accepted_at": result.accepted_at.isoformat()}
        case "assessment_completed":
            return {"outcome": result.outcome, "completed_at": result.completed_at.isoformat()}
        case "mace":
            return {
                "risk": result.risk,
                "held_at": result.held_at.isoformat(),
                "action_count": len(result.actions),
                "review_on": result.review_on.isoformat(),
            }
        case "mace_action":
            return {"done": result.done}
        case "nrm_referral":
            return {"route": result.route, "made_at": result.made_at.isoformat()}
        case "child_protection_conference":
            return {
                "section_47_outcome": result.section_47_outcome,
                "held_at": result.held_at.isoformat() if result.held_at else None,
                "conference_outcome": result.conference_outcome,
            }
        case _:  # the kinds before the decision: `public_summary` answers them
            return {}


class CarriedTask(BaseModel):
    """A task as a run hands it to the next: its view, its ladder and the rungs already fired."""

    view: TaskView
    rungs: list[Rung]
    fired: list[int] = Field(default_factory=list)
    in_inbox: bool = False


class CarriedCase(BaseModel):
    """What a case's run hands to the next when it continues as new: the process state only
    (ids, codes, instants, counters), never what staff wrote, so it stays small."""

    state: CaseState
    tasks: list[CarriedTask]
    revision: int
    checks_version: int = 0
    information_items: int = 0
    # The decision's deadline as computed at screening, and under which RAG.
    decision_due_rag: Rag | None = None
    decision_due_at: datetime | None = None
    decision_rungs: list[Rung] = Field(default_factory=list)
    runs: int = 1
    ending: bool = False
