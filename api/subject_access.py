"""A subject access export: everything held about a child, across all their referrals, read from
the case record in one snapshot. For each referral its codes and instants, the intake, every
entry of the record opened, its tasks, the process audit trail and the access trail.

The referrer's identity is a third party's, not the child's: it is kept in the export for whoever
answers the request, each field marked for redaction with the reason. Free text (the concern in
the referrer's words, rationales, information) may name third parties too; it is not marked, and
is for the records officer to read before anything is released.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict

from api.auth import User
from api.models.referrals import AuditEntry
from api.record import RecordEntryView, open_entry, referral_or_404
from core.sealing import RecordSealer
from domain.case import Deadline, Milestone, Stage
from domain.policy import DecisionOutcome, Rag, StrategyOutcome
from domain.record import EntryKind, RecordEntry
from domain.referral import (
    Child,
    ConcernCategory,
    Consent,
    HouseholdMember,
    ReferralDetails,
    ReferralSource,
)
from domain.tasks import Agency, ExploitationRisk, TaskKind, TaskStatus
from store import audit_event as audit_event_store
from store import case_entry as case_entry_store
from store import referral as referral_store
from store import task as task_store
from store.access_event import case_accesses
from store.pool import Conn
from store.referral import StoredReferral

# What a referral row holds besides the child's keyed identifiers (which say nothing to a person).
_CODES_KEPT = {
    "referral_id", "received_at", "policy_version", "stage", "rag", "immediate_risk",
    "re_referral", "escalation_level", "outcome", "strategy_outcome", "exploitation_risk",
    "deadlines", "milestones", "closed_at", "disposed_at",
}  # fmt: skip
REFERRER_REASON = "third party: the referrer"
REDACTION_NOTE = (
    "Values marked redact are about someone other than the child (the referrer) and must be "
    "removed before this export is given to the child or family. Free text (the concern, "
    "rationales, new information) can name other people too: read it before release."
)


class Marked(BaseModel):
    """A value about someone other than the child: kept for whoever answers the request, to be
    removed before the export is released."""

    value: str | None
    redact: Literal[True] = True
    reason: str


class MarkedReferrer(BaseModel):
    """The referrer's identity, every field marked."""

    model_config = ConfigDict(extra="forbid")  # a new referrer field must be marked, not dropped

    name: Marked
    organisation: Marked
    phone: Marked
    email: Marked


class IntakeHeld(BaseModel):
    """The referral as taken in; `redact` names the parts marked for redaction."""

    model_config = ConfigDict(extra="forbid")  # a new intake field must be exported, not dropped

    received_at: datetime
    source: ReferralSource
    referrer: MarkedReferrer
    child: Child
    household: list[HouseholdMember]
    concern: str
    categories: list[ConcernCategory]
    consent: Consent
    consent_reason: str | None
    new_case_reason: str | None = None
    redact: list[str]

    @classmethod
    def of(cls, details: ReferralDetails) -> IntakeHeld:
        referrer = {
            field: Marked(value=value, reason=REFERRER_REASON)
            for field, value in details.referrer.model_dump().items()
        }
        return cls.model_validate(
            {**details.model_dump(), "referrer": referrer, "redact": ["referrer"]}
        )


class TaskHeld(BaseModel):
    """A task of the case: what it was, whose, when it was due and closed, who completed it."""

    task_id: UUID
    kind: TaskKind
    team: str
    agency: Agency | None
    status: TaskStatus
    attempt: int
    opened_at: datetime
    due_at: datetime
    closed_at: datetime | None
    completed_by: str | None
    escalation_level: int


class AccessHeld(BaseModel):
    """Someone reading or changing the case or one of its tasks through the API (staff's client
    addresses are left out: they are not about the child)."""

    at: datetime
    user_id: str
    roles: list[str]
    agency: str | None
    method: str
    route: str
    task_id: UUID | None
    status: int


class ReferralHeld(BaseModel):
    """One referral of the child and everything held on it; a disposed one keeps only its codes,
    tasks and trails (`disposal` says when and why)."""

    referral_id: UUID
    received_at: datetime
    source: ReferralSource
    policy_version: str
    stage: Stage
    rag: Rag | None
    immediate_risk: bool
    re_referral: bool
    escalation_level: int
    outcome: DecisionOutcome | None
    strategy_outcome: StrategyOutcome | None
    exploitation_risk: ExploitationRisk | None
    deadlines: dict[Deadline, datetime]
    milestones: dict[Milestone, datetime]
    closed_at: datetime | None
    disposed_at: datetime | None
    disposal: str | None
    intake: IntakeHeld | None
    """The referral as taken in (a correction of it is among `entries`)."""
    intake_entry_id: int | None
    entries: list[RecordEntryView]
    """Every entry of the record but the intake, oldest first, as first recorded: task results,
    new information, escalations, and corrections (each naming the entry it corrects)."""
    tasks: list[TaskHeld]
    audit: list[AuditEntry]
    access: list[AccessHeld]


class SubjectAccessExport(BaseModel):
    """Everything held about the child of `requested_for`, every referral oldest first."""

    requested_for: UUID
    generated_at: datetime
    generated_by: str
    child: Child | None
    """The child as the named referral's intake gives them (as last corrected)."""
    redaction: str
    referrals: list[ReferralHeld]


async def subject_access(
    pool: asyncpg.Pool, sealer: RecordSealer, referral_id: UUID, user: User
) -> SubjectAccessExport:
    """The export for the child of `referral_id` (410 if that referral was disposed of)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        named = await referral_or_404(conn, referral_id)
        ids = await referral_store.referrals_of_child(conn, named.child_keys) or [referral_id]
        found = [
            named if i == referral_id else await referral_store.get_referral(conn, i) for i in ids
        ]
        rows = [r for r in found if r is not None]
        # A disposed referral's record is not opened, whatever of it remains.
        kept = [r.referral_id for r in rows if r.disposed_at is None]
        entries = [open_entry(sealer, e) for e in await case_entry_store.entries_of(conn, kept)]
        referrals = [
            await _held(conn, r, [e for e in entries if e.referral_id == r.referral_id])
            for r in rows
        ]
        generated_at = await conn.fetchval("SELECT now()")  # the snapshot's time
    child = next((_child_of(r) for r in referrals if r.referral_id == referral_id), None)
    return SubjectAccessExport(
        requested_for=referral_id,
        generated_at=generated_at,
        generated_by=user.user_id,
        child=child,
        redaction=REDACTION_NOTE,
        referrals=referrals,
    )


async def _held(conn: Conn, stored: StoredReferral, entries: list[RecordEntry]) -> ReferralHeld:
    events = await audit_event_store.list_audit_events(conn, stored.workflow_id)
    tasks = await task_store.tasks_of_referral(conn, stored.referral_id)
    accesses = await case_accesses(conn, stored.referral_id)
    disposed = stored.disposed_at
    intake = next((e for e in entries if e.kind is EntryKind.intake), None)
    return ReferralHeld(
        **stored.model_dump(include=_CODES_KEPT),
        source=ReferralSource(stored.source_code),
        disposal=(
            f"disposed on {disposed.date().isoformat()} under the retention schedule"
            if disposed
            else None
        ),
        intake=IntakeHeld.of(ReferralDetails.model_validate(intake.body)) if intake else None,
        intake_entry_id=intake.entry_id if intake else None,
        entries=[_exported(e, intake) for e in entries if e is not intake],
        tasks=[TaskHeld.model_validate(t.model_dump()) for t in tasks],
        audit=[AuditEntry.model_validate(e.model_dump()) for e in events],
        access=[AccessHeld.model_validate(a) for a in accesses],
    )


def _exported(entry: RecordEntry, intake: RecordEntry | None) -> RecordEntryView:
    """The entry as exported: a correction of the intake has its referrer marked as the intake
    has."""
    view = RecordEntryView.of(entry)
    if (
        intake is not None
        and entry.kind is EntryKind.correction
        and entry.corrects == intake.entry_id
    ):
        corrected = IntakeHeld.of(ReferralDetails.model_validate(entry.body["corrected"]))
        view.body = {**entry.body, "corrected": corrected.model_dump(mode="json")}
    return view


def _child_of(referral: ReferralHeld) -> Child | None:
    """The child as the referral's intake gives them, as last corrected."""
    corrections = [
        e.body["corrected"]["child"]
        for e in referral.entries
        if e.kind is EntryKind.correction and e.corrects == referral.intake_entry_id
    ]
    if corrections:
        return Child.model_validate(corrections[-1])
    return referral.intake.child if referral.intake else None
