"""The writes of one case step, each applied inside the step's transaction: a task opened or
closed, an escalation rung, a notification, an audit entry, an entry of the case record.

Each is idempotent: rows are keyed by (workflow id, step key) or task id, updates are guarded by
state or by the progress revision, and a retry writes nothing twice. Errors that a retry cannot
fix (an input the workflow should never have sent) are raised as non-retryable
`ApplicationError`s of type `INVALID_INPUT`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ports import CaseTransaction
from activities.record import CaseRecord
from domain.audit import AuditEvent
from domain.notifications import DisallowedPayloadError
from domain.policy import Role
from domain.record import EntryKind
from domain.records import (
    CaseWrite,
    CloseTaskInput,
    EscalateInput,
    NotifyInput,
    OpenTaskInput,
    RecordEntryInput,
    RecordProgressInput,
)
from domain.tasks import TaskKind, TaskStatus

INVALID_INPUT = "InvalidCaseActivityInput"
"""The error type of a non-retryable input error, for retry policies that name it."""

SYSTEM_ACTOR = "system"


def invalid(message: str) -> ApplicationError:
    return ApplicationError(message, non_retryable=True, type=INVALID_INPUT)


def _check_task_id(task_id: str) -> None:
    try:
        UUID(task_id)
    except ValueError:
        raise invalid(f"task id {task_id!r} is not a UUID") from None


def _iso(instant: datetime) -> str:
    return instant.isoformat()


def describe_recipient(team: str, role: str | None) -> str:
    """Who a notification reaches, as the case shows it: a claimed task's assignee, a role in a
    team ("team_manager of front_door_practitioners"), or the whole team."""
    if role is None:
        return team
    if role.startswith("assignee:"):
        return role.removeprefix("assignee:")
    return f"{role} of {team}"


def check_write(write: CaseWrite) -> None:
    """Refuse, before anything is written, a write no retry can make valid."""
    if isinstance(write, OpenTaskInput | CloseTaskInput | EscalateInput):
        _check_task_id(write.task_id)
    if (
        isinstance(write, OpenTaskInput)
        and write.kind is TaskKind.agency_check
        and write.agency is None
    ):
        raise invalid("an agency check task must name its agency")
    if isinstance(write, CloseTaskInput) and write.status is TaskStatus.open:
        raise invalid("close_task needs a closing status: completed, cancelled or superseded")


async def _open_task(tx: CaseTransaction, task: OpenTaskInput) -> None:
    """Put the task in its team's inbox, audit it and tell the team."""
    step_key = f"task/{task.task_id}/opened"
    inserted = await tx.insert_task(task)
    if task.kind is TaskKind.agency_check:
        await tx.insert_agency_check(task)
    await tx.insert_audit_event(
        AuditEvent(
            workflow_id=task.workflow_id,
            step_key=step_key,
            kind="task_opened",
            actor=SYSTEM_ACTOR,
            occurred_at=task.opened_at,
            details={
                "task_id": task.task_id,
                "kind": task.kind.value,
                "agency": task.agency.value if task.agency else None,
                "team": task.team,
                "due_at": _iso(task.due_at),
            },
        ),
    )
    payload: dict[str, Any] = {
        "task_id": task.task_id,
        "task_kind": task.kind.value,
        "due_at": _iso(task.due_at),
    }
    if task.agency is not None:
        payload["agency"] = task.agency.value
    await tx.queue_notification(
        NotifyInput(
            workflow_id=task.workflow_id,
            referral_id=task.referral_id,
            step_key=step_key,
            kind="task_opened",
            recipient_team=task.team,
            occurred_at=task.opened_at,
            payload=payload,
        ),
    )
    activity.logger.info(
        "task_opened",
        extra={"task_id": task.task_id, "task_kind": task.kind.value, "new_row": inserted},
    )


async def _close_task(tx: CaseTransaction, close: CloseTaskInput) -> None:
    """Close the task in the inbox (and its agency check) and audit it; a task already closed
    keeps its first closing, and the audit event is written once."""
    closed = await tx.close_task(close)
    if close.kind is TaskKind.agency_check:
        await tx.close_agency_check(close)
    await tx.insert_audit_event(
        AuditEvent(
            workflow_id=close.workflow_id,
            step_key=f"task/{close.task_id}/closed",
            kind=f"task_{close.status.value}",
            actor=close.actor,
            occurred_at=close.closed_at,
            details={
                "task_id": close.task_id,
                "kind": close.kind.value,
                "agency": close.agency.value if close.agency else None,
                "status": close.status.value,
                "actor": close.actor,
                "opened_at": _iso(close.opened_at),
                "due_at": _iso(close.due_at),
                "summary": to_jsonable_python(close.summary),
            },
        ),
    )
    activity.logger.info(
        "task_closed",
        extra={
            "task_id": close.task_id,
            "task_kind": close.kind.value,
            "task_status": close.status.value,
            "new_row": closed,
        },
    )


async def _escalate(tx: CaseTransaction, record: CaseRecord, rung: EscalateInput) -> str:
    """Record and notify one rung of a task's ladder; return who was told (read back from the
    queued notification, so a retry returns the first answer even if the task was claimed in
    between)."""
    reminder = rung.role is Role.assignee
    step_key = f"task/{rung.task_id}/rung/{rung.level}"
    recipient_role: str | None = rung.role.value
    if reminder:
        assignee = await tx.task_assignee(rung.task_id)
        recipient_role = f"assignee:{assignee}" if assignee else None
    notification_id = await tx.queue_notification(
        NotifyInput(
            workflow_id=rung.workflow_id,
            referral_id=rung.referral_id,
            step_key=step_key,
            kind="reminder" if reminder else "escalation",
            recipient_team=rung.team,
            recipient_role=recipient_role,
            occurred_at=rung.fired_at,
            payload={
                "task_id": rung.task_id,
                "task_kind": rung.kind.value,
                "level": rung.level,
                "role": rung.role.value,
                "due_at": _iso(rung.due_at),
            },
        ),
    )
    queued = await tx.queued_recipient(notification_id)
    assert queued is not None  # queued or found in this transaction
    told = describe_recipient(queued.recipient_team, queued.recipient_role)
    # Codes, instants and who was told: the audit trail and the case record say the same.
    details: dict[str, Any] = {
        "task_id": rung.task_id,
        "kind": rung.kind.value,
        "level": rung.level,
        "role": rung.role.value,
        "rung_at": _iso(rung.rung_at),
        "fired_at": _iso(rung.fired_at),
        "due_at": _iso(rung.due_at),
        "reason": rung.reason,
        "told": told,
    }
    recorded = await tx.insert_audit_event(
        AuditEvent(
            workflow_id=rung.workflow_id,
            step_key=step_key,
            kind="reminder_sent" if reminder else "escalated",
            actor=SYSTEM_ACTOR,
            occurred_at=rung.fired_at,
            details=details,
        ),
    )
    await record.write(
        tx,
        RecordEntryInput(
            workflow_id=rung.workflow_id,
            referral_id=rung.referral_id,
            step_key=step_key,
            kind=EntryKind.escalation,
            task_id=rung.task_id,
            actor=SYSTEM_ACTOR,
            occurred_at=rung.fired_at,
            body=details,
        ),
    )
    if rung.level > 0:
        await tx.raise_task_escalation(rung.task_id, rung.level)
    activity.logger.info(
        "task_escalated",
        # Not "level": the log renderer uses that key for the log level.
        extra={
            "task_id": rung.task_id,
            "task_kind": rung.kind.value,
            "escalation_level": rung.level,
            "escalation_role": rung.role.value,
            "new_row": recorded.created,
        },
    )
    return told


async def _notify(tx: CaseTransaction, notice: NotifyInput) -> UUID:
    """Queue a notification and audit it as `notified_<kind>` under the same step key."""
    try:
        notification_id = await tx.queue_notification(notice)
    except DisallowedPayloadError as err:
        raise invalid(str(err)) from None
    recorded = await tx.insert_audit_event(
        AuditEvent(
            workflow_id=notice.workflow_id,
            step_key=notice.step_key,
            kind=f"notified_{notice.kind}",
            actor=SYSTEM_ACTOR,
            occurred_at=notice.occurred_at,
            details={
                "notification_id": str(notification_id),
                "kind": notice.kind,
                "recipient_team": notice.recipient_team,
                "recipient_role": notice.recipient_role,
            },
        ),
    )
    activity.logger.info(
        "notification_queued",
        extra={
            "notification_kind": notice.kind,
            "step_key": notice.step_key,
            "new_row": recorded.created,
        },
    )
    return notification_id


async def _record(tx: CaseTransaction, change: RecordProgressInput) -> None:
    """Record a change to the case (new information, closure, ...) as its audit event."""
    recorded = await tx.insert_audit_event(
        AuditEvent(
            workflow_id=change.workflow_id,
            step_key=change.step_key,
            kind=change.audit_kind,
            actor=change.actor,
            occurred_at=change.occurred_at,
            details=to_jsonable_python(change.details),
        ),
    )
    activity.logger.info(
        "progress_recorded",
        extra={
            "audit_kind": change.audit_kind,
            "step_key": change.step_key,
            "revision": change.progress.revision,
            "new_row": recorded.created,
        },
    )


async def apply_write(tx: CaseTransaction, record: CaseRecord, write: CaseWrite) -> str | None:
    """One write, without the case's progress (the caller applies the latest once); who it
    told, for an escalation."""
    match write:
        case OpenTaskInput():
            await _open_task(tx, write)
        case CloseTaskInput():
            await _close_task(tx, write)
        case EscalateInput():
            return await _escalate(tx, record, write)
        case NotifyInput():
            await _notify(tx, write)
        case RecordProgressInput():
            await _record(tx, write)
        case RecordEntryInput():
            await record.write(tx, write)
    return None
