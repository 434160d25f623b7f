"""Reading a case from its record in PostgreSQL: the intake, every task's result as submitted,
every item of new information, escalations and the chronology, opened with the record's keys.

While the case is in process its live state (the workflow's query: stage, open tasks, ladders)
is the frame and the record fills in what the workflow no longer keeps; once the workflow has
left Temporal the same view is rebuilt from the record alone, so a case reads back the same.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel, Field, TypeAdapter

from api.errors import ApiError
from core.sealing import RecordSealer, entry_binding
from domain.audit import AuditEvent
from domain.case import CaseState, EscalationView, TaskView, TimelineEntry
from domain.policy import Role
from domain.record import INTAKE_STEP, EntryKind, RecordEntry
from domain.referral import ReferralDetails
from domain.tasks import TaskKind, TaskResult
from store import audit_event as audit_event_store
from store import case_entry as case_entry_store
from store import referral as referral_store
from store import task as task_store
from store.case_entry import StoredEntry
from store.pool import Conn
from store.referral import StoredReferral
from store.task import InboxTask

_RESULT: TypeAdapter[TaskResult] = TypeAdapter(TaskResult)
# Audit details worth a word on the chronology's line (codes only, never free text).
_CODES = ("kind", "agency", "status", "level", "role", "told", "outcome", "rag", "source")


class InformationItem(BaseModel):
    at: datetime
    actor: str | None
    source: str
    text: str


class RecordEntryView(BaseModel):
    """An entry of the case record as staff read it."""

    entry_id: int
    kind: EntryKind
    at: datetime
    actor: str | None
    task_id: UUID | None
    corrects: int | None
    body: dict[str, Any]

    @classmethod
    def of(cls, entry: RecordEntry) -> RecordEntryView:
        return cls(
            entry_id=entry.entry_id,
            kind=entry.kind,
            at=entry.occurred_at,
            actor=entry.actor,
            task_id=entry.task_id,
            corrects=entry.corrects,
            body=entry.body,
        )


class CaseRecordView(CaseState):
    """A case as the record holds it: its state, with the intake, every task's result and every
    item of new information; `in_process` says whether the workflow is still running it."""

    in_process: bool
    intake: ReferralDetails | None = None
    information: list[InformationItem] = Field(default_factory=list)
    corrections: list[RecordEntryView] = Field(default_factory=list)


class ChronologyItem(BaseModel):
    """One line of a case's chronology: what happened (from the audit trail) or what was
    recorded (an entry of the case record, with what staff wrote)."""

    at: datetime
    what: str
    actor: str | None = None
    task_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


def open_entry(sealer: RecordSealer, stored: StoredEntry) -> RecordEntry:
    plain = sealer.open(stored.sealed, bound_to=entry_binding(stored.workflow_id, stored.step_key))
    return RecordEntry(
        entry_id=stored.entry_id,
        referral_id=stored.referral_id,
        kind=stored.kind,
        step_key=stored.step_key,
        task_id=stored.task_id,
        actor=stored.actor,
        occurred_at=stored.occurred_at,
        recorded_at=stored.recorded_at,
        corrects=stored.corrects,
        body=json.loads(plain),
    )


async def referral_or_404(conn: Conn, referral_id: UUID) -> StoredReferral:
    stored = await referral_store.get_referral(conn, referral_id)
    if stored is None:
        raise ApiError(404, "not_found", f"referral {referral_id} was not found")
    if stored.disposed_at is not None:
        raise ApiError(
            410,
            "disposed",
            f"the record of referral {referral_id} was disposed of under the retention "
            f"schedule on {stored.disposed_at.date().isoformat()}",
        )
    return stored


async def intake_of(pool: asyncpg.Pool, sealer: RecordSealer, referral_id: UUID) -> ReferralDetails:
    """What was taken in at intake, from the record (personal data: the caller decides who may
    see which part)."""
    async with pool.acquire() as conn:
        await referral_or_404(conn, referral_id)
        stored = await case_entry_store.entry_of_step(conn, referral_id, INTAKE_STEP)
    if stored is None:
        raise ApiError(404, "not_found", f"referral {referral_id} has no intake on record")
    return ReferralDetails.model_validate(open_entry(sealer, stored).body)


async def read_entries(
    pool: asyncpg.Pool, sealer: RecordSealer, referral_ids: list[UUID]
) -> list[RecordEntry]:
    async with pool.acquire() as conn:
        stored = await case_entry_store.entries_of(conn, referral_ids)
    return [open_entry(sealer, entry) for entry in stored]


async def case_view(
    pool: asyncpg.Pool, sealer: RecordSealer, referral_id: UUID, live: CaseState | None
) -> CaseRecordView:
    """The case, from its live state (if in process) and its record."""
    async with pool.acquire() as conn:
        return await case_view_on(conn, sealer, referral_id, live)


async def case_view_on(
    conn: Conn, sealer: RecordSealer, referral_id: UUID, live: CaseState | None
) -> CaseRecordView:
    """`case_view` on a connection the caller holds (and reads more on)."""
    stored = await referral_or_404(conn, referral_id)
    tasks = await task_store.tasks_of_referral(conn, referral_id)
    events = [] if live else await audit_event_store.list_audit_events(conn, stored.workflow_id)
    earlier = (
        []
        if live
        else await referral_store.find_earlier_referrals(
            conn, referral_id, stored.received_at, stored.child_keys
        )
    )
    stored_entries = await case_entry_store.entries_of(conn, [referral_id])
    entries = with_corrections([open_entry(sealer, e) for e in stored_entries])
    state = live or _rebuilt(stored, tasks, entries, events, earlier)
    results = {
        str(e.task_id): _RESULT.validate_python(e.body["result"])
        for e in entries
        if e.kind is EntryKind.task_result
    }
    holders = {str(t.task_id): t.assignee for t in tasks}
    for task in state.tasks:
        task.result = results.get(task.task_id, task.result)
        task.assignee = holders.get(task.task_id)
    intake = next((e for e in entries if e.kind is EntryKind.intake), None)
    # The state's fields as they are (validated once, where they were made or read), not
    # dumped and validated again: that would re-check every task's result as a form.
    return CaseRecordView(
        **dict(state),
        in_process=live is not None,
        intake=ReferralDetails.model_validate(intake.body) if intake else None,
        information=[
            InformationItem(at=e.occurred_at, actor=e.actor, **e.body)
            for e in entries
            if e.kind is EntryKind.information
        ],
        corrections=[RecordEntryView.of(e) for e in entries if e.kind is EntryKind.correction],
    )


def with_corrections(entries: list[RecordEntry]) -> list[RecordEntry]:
    """The entries as corrected: each corrected entry reads as its latest correction says (the
    corrections themselves stay in the list, and the original in the record)."""
    latest = {
        e.corrects: e.body["corrected"]
        for e in entries
        if e.kind is EntryKind.correction and e.corrects is not None
    }
    return [
        e.model_copy(update={"body": latest[e.entry_id]}) if e.entry_id in latest else e
        for e in entries
    ]


def _rebuilt(
    stored: StoredReferral,
    tasks: list[InboxTask],
    entries: list[RecordEntry],
    events: list[AuditEvent],
    earlier: list[UUID],
) -> CaseState:
    """The case's state from the record alone (the workflow has left Temporal)."""
    checks_open = [t.agency for t in tasks if t.kind is TaskKind.agency_check and t.is_open]
    return CaseState(
        referral_id=stored.referral_id,
        workflow_id=stored.workflow_id,
        policy_version=stored.policy_version,
        received_at=stored.received_at,
        recorded_at=stored.recorded_at,
        referral_at=stored.referral_at,
        stage=stored.stage,
        rag=stored.rag,
        immediate_risk=stored.immediate_risk,
        re_referral=stored.re_referral,
        earlier_referrals=earlier,
        section_47_outcome=stored.section_47_outcome,
        assessment_outcome=stored.assessment_outcome,
        conference_outcome=stored.conference_outcome,
        deadlines=stored.deadlines,
        milestones=stored.milestones,
        tasks=[
            TaskView(
                task_id=str(t.task_id),
                kind=t.kind,
                team=t.team,
                agency=t.agency,
                status=t.status,
                opened_at=t.opened_at,
                counts_from=t.counts_from or t.opened_at,
                due_at=t.due_at,
                attempt=t.attempt,
                escalation_level=t.escalation_level,
                completed_at=t.closed_at,
                completed_by=t.completed_by,
                missing_checks=[a for a in checks_open if a] if t.kind is TaskKind.decision else [],
                earlier_referrals=earlier if t.kind is TaskKind.screening else [],
            )
            for t in tasks
        ],
        escalations=[
            EscalationView(
                task_id=str(e.task_id),
                kind=TaskKind(e.body["kind"]),
                level=e.body["level"],
                role=Role(e.body["role"]),
                rung_at=e.body["rung_at"],
                fired_at=e.body["fired_at"],
                reason=e.body["reason"],
                told=e.body["told"],
            )
            for e in entries
            if e.kind is EntryKind.escalation
        ],
        escalation_level=stored.escalation_level,
        outcome=stored.outcome,
        strategy_outcome=stored.strategy_outcome,
        exploitation_risk=stored.exploitation_risk,
        timeline=[TimelineEntry(at=e.occurred_at, event=e.kind, detail=_codes(e)) for e in events],
    )


def _codes(event: AuditEvent) -> str:
    return ", ".join(
        f"{key} {event.details[key]}" for key in _CODES if event.details.get(key) is not None
    )


def chronology(events: list[AuditEvent], entries: list[RecordEntry]) -> list[ChronologyItem]:
    """Everything that happened and was recorded on a case, in order."""
    lines = [
        ChronologyItem(
            at=e.occurred_at,
            what=e.kind,
            actor=e.actor,
            task_id=e.details.get("task_id"),
            detail=e.details,
        )
        for e in events
    ] + [
        ChronologyItem(
            at=e.occurred_at,
            what=f"recorded_{e.kind.value}",
            actor=e.actor,
            task_id=str(e.task_id) if e.task_id else None,
            detail=e.body,
        )
        for e in entries
    ]
    return sorted(lines, key=lambda line: line.at)
