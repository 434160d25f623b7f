"""Inputs and results of the activities the referral workflow calls. Most carry ids, codes and
instants; the intake and record entries carry what staff wrote, which the activity seals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from domain.case import CaseProgress
from domain.policy import Rag, Role, Rung, Step
from domain.record import EntryKind
from domain.referral import ReferralDetails
from domain.tasks import Agency, TaskKind, TaskStatus


class ComputeDueInput(BaseModel):
    policy_version: str
    step: Step
    counts_from: datetime
    rag: Rag | None = None
    outcome: str | None = None
    # The team or agency that does the step (its working pattern counts the hours, and its
    # rungs out of hours go to the emergency duty team); None: the front door's own pattern.
    team: str | None = None
    # Agency checks only: when the MASH decision is due; the checks fall due no later than the
    # policy's checks margin before it (and never before `counts_from`).
    mash_decision_due: datetime | None = None
    # A due time agreed by people, not a timescale (a MACE disruption action's date): only the
    # ladder is computed, from `counts_from` to it.
    agreed_due: datetime | None = None


class ComputeDueResult(BaseModel):
    due_at: datetime
    rungs: list[Rung]


class ComputeDuesInput(BaseModel):
    """Several deadlines wanted at the same point of a case, computed in one activity."""

    requests: list[ComputeDueInput]


class ComputeDuesResult(BaseModel):
    """The deadlines, in the order they were asked for."""

    results: list[ComputeDueResult]


class RegisterReferralInput(BaseModel):
    """The case row and the intake as taken in; the activity keys the child's identifiers and
    seals the intake (the workflow's history keeps it only in the workflow's own input)."""

    workflow_id: str
    referral_id: UUID
    received_at: datetime
    source: str
    policy_version: str
    details: ReferralDetails
    progress: CaseProgress


class RegisterReferralResult(BaseModel):
    earlier_referral_ids: list[UUID] = Field(default_factory=list)


class OpenTaskInput(BaseModel):
    write: Literal["open_task"] = "open_task"
    workflow_id: str
    referral_id: UUID
    task_id: str
    kind: TaskKind
    team: str
    agency: Agency | None = None
    opened_at: datetime
    counts_from: datetime | None = None
    attempt: int = 1
    due_at: datetime
    progress: CaseProgress


class CloseTaskInput(BaseModel):
    write: Literal["close_task"] = "close_task"
    workflow_id: str
    referral_id: UUID
    task_id: str
    kind: TaskKind
    agency: Agency | None = None
    status: TaskStatus
    closed_at: datetime
    actor: str | None = None
    opened_at: datetime
    due_at: datetime
    summary: dict[str, Any] = Field(default_factory=dict)
    progress: CaseProgress


class EscalateInput(BaseModel):
    write: Literal["escalate"] = "escalate"
    workflow_id: str
    referral_id: UUID
    task_id: str
    kind: TaskKind
    team: str
    level: int
    role: Role
    rung_at: datetime
    fired_at: datetime
    due_at: datetime
    reason: str
    progress: CaseProgress


class NotifyInput(BaseModel):
    write: Literal["notify"] = "notify"
    workflow_id: str
    referral_id: UUID
    step_key: str
    kind: str
    recipient_team: str
    recipient_role: str | None = None
    occurred_at: datetime
    payload: dict[str, Any] = Field(default_factory=dict)


class RecordProgressInput(BaseModel):
    """A change to the case read model with its audit event (e.g. new information, closure)."""

    write: Literal["record_progress"] = "record_progress"
    workflow_id: str
    referral_id: UUID
    step_key: str
    audit_kind: str
    actor: str | None = None
    occurred_at: datetime
    details: dict[str, Any] = Field(default_factory=dict)
    progress: CaseProgress


class RecordEntryInput(BaseModel):
    """An entry of the case record (domain.record), written with the step's other writes. `body`
    is what staff gave, sealed by the activity; the workflow passes it on and keeps none of it."""

    write: Literal["record_entry"] = "record_entry"
    workflow_id: str
    referral_id: UUID
    step_key: str
    kind: EntryKind
    task_id: str | None = None
    actor: str | None = None
    occurred_at: datetime
    body: dict[str, Any] = Field(default_factory=dict)


CaseWrite = Annotated[
    OpenTaskInput
    | CloseTaskInput
    | EscalateInput
    | NotifyInput
    | RecordProgressInput
    | RecordEntryInput,
    Field(discriminator="write"),
]
"""One write of a case step; `write` names which."""


class ApplyWritesInput(BaseModel):
    """The writes of one step of a case, applied in order in one transaction."""

    workflow_id: str
    writes: list[CaseWrite]


class ApplyWritesResult(BaseModel):
    """For each write, in order, who it told: an escalation's recipient, else None."""

    told: list[str | None]
