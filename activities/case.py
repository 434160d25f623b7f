"""The case activities: what the referral workflow writes to PostgreSQL as a case moves.

Each activity is one transaction over the read model (`referral`), the inbox (`task`,
`agency_check`), the audit trail and the outbox, so a case's rows never disagree with each
other. `apply_writes` runs several of the writes in one transaction: everything one step of a
case changes (a task closed, the next ones opened, notifications, the audit trail) in one round
trip, landing together or not at all. Each is idempotent: rows are keyed by (workflow id, step
key) or task id, updates are guarded by state or by the progress revision, and a retry writes
nothing twice.

Errors that a retry cannot fix (an input the workflow should never have sent) are raised as
non-retryable `ApplicationError`s of type `INVALID_INPUT`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ports import CaseStore, CaseTransaction
from domain.audit import AuditEvent
from domain.notifications import DisallowedPayloadError
from domain.policy import Role
from domain.records import (
    ApplyWritesInput,
    ApplyWritesResult,
    CaseWrite,
    CloseTaskInput,
    EscalateInput,
    NotifyInput,
    OpenTaskInput,
    RecordProgressInput,
    RegisterReferralInput,
    RegisterReferralResult,
)
from domain.tasks import TaskKind, TaskStatus

INVALID_INPUT = "InvalidCaseActivityInput"
"""The error type of a non-retryable input error, for retry policies that name it."""

SYSTEM_ACTOR = "system"


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, non_retryable=True, type=INVALID_INPUT)


def _check_task_id(task_id: str) -> None:
    try:
        UUID(task_id)
    except ValueError:
        raise _invalid(f"task id {task_id!r} is not a UUID") from None


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


def _check_write(write: CaseWrite) -> None:
    """Refuse, before anything is written, a write no retry can make valid."""
    if isinstance(write, OpenTaskInput | CloseTaskInput | EscalateInput):
        _check_task_id(write.task_id)
    if (
        isinstance(write, OpenTaskInput)
        and write.kind is TaskKind.agency_check
        and write.agency is None
    ):
        raise _invalid("an agency check task must name its agency")
    if isinstance(write, CloseTaskInput) and write.status is TaskStatus.open:
        raise _invalid("close_task needs a closing status: completed, cancelled or superseded")


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


async def _escalate(tx: CaseTransaction, rung: EscalateInput) -> str:
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
    recorded = await tx.insert_audit_event(
        AuditEvent(
            workflow_id=rung.workflow_id,
            step_key=step_key,
            kind="reminder_sent" if reminder else "escalated",
            actor=SYSTEM_ACTOR,
            occurred_at=rung.fired_at,
            details={
                "task_id": rung.task_id,
                "kind": rung.kind.value,
                "level": rung.level,
                "role": rung.role.value,
                "rung_at": _iso(rung.rung_at),
                "fired_at": _iso(rung.fired_at),
                "due_at": _iso(rung.due_at),
                "reason": rung.reason,
                "told": told,
            },
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
        raise _invalid(str(err)) from None
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


async def _apply(tx: CaseTransaction, write: CaseWrite) -> str | None:
    """One write, without the case's progress (the caller applies the latest once)."""
    if isinstance(write, OpenTaskInput):
        await _open_task(tx, write)
    elif isinstance(write, CloseTaskInput):
        await _close_task(tx, write)
    elif isinstance(write, EscalateInput):
        return await _escalate(tx, write)
    elif isinstance(write, NotifyInput):
        await _notify(tx, write)
    else:
        await _record(tx, write)
    return None


class CaseActivities:
    """Case activities, built by the worker around the case store it wires."""

    def __init__(self, store: CaseStore) -> None:
        self._store = store

    @activity.defn
    async def register_referral(self, referral: RegisterReferralInput) -> RegisterReferralResult:
        """Create the case row and its `referral_received` audit event, and find earlier
        referrals of the same child (which make this a re-referral)."""
        async with self._store.transaction() as tx:
            # Looked up before inserting, and excluding this referral, so a retry finds the same.
            earlier = await tx.earlier_referrals(
                referral.referral_id, referral.received_at, referral.nhs_number, referral.match_key
            )
            inserted = await tx.insert_referral(referral)
            if earlier:
                await tx.mark_re_referral(referral.workflow_id)
            await tx.insert_audit_event(
                AuditEvent(
                    workflow_id=referral.workflow_id,
                    step_key="received",
                    kind="referral_received",
                    actor=SYSTEM_ACTOR,
                    occurred_at=referral.received_at,
                    details={
                        "source": referral.source,
                        "policy_version": referral.policy_version,
                        "earlier_referral_count": len(earlier),
                    },
                ),
            )
        activity.logger.info(
            "referral_registered",
            extra={
                "referral_id": str(referral.referral_id),
                "earlier_referral_count": len(earlier),
                "new_row": inserted,
            },
        )
        return RegisterReferralResult(earlier_referral_ids=earlier)

    @activity.defn
    async def apply_writes(self, batch: ApplyWritesInput) -> ApplyWritesResult:
        """The writes of one step of a case, in order, in one transaction, then the latest
        progress they carry; answers, for each write, who it told (escalations)."""
        for write in batch.writes:
            _check_write(write)
            if write.workflow_id != batch.workflow_id:
                raise _invalid("every write of a batch must be of the batch's case")
        progress = [w.progress for w in batch.writes if not isinstance(w, NotifyInput)]
        async with self._store.transaction() as tx:
            told = [await _apply(tx, write) for write in batch.writes]
            if progress:
                latest = max(progress, key=lambda p: p.revision)
                await tx.apply_progress(batch.workflow_id, latest)
        return ApplyWritesResult(told=told)
