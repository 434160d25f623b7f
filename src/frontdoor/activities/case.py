"""The case activities: what the referral workflow writes to PostgreSQL as a case moves.

Each activity is one transaction over the read model (`referral`), the inbox (`task`,
`agency_check`), the audit trail and the outbox, so a case's rows never disagree with each
other. Each is idempotent: rows are keyed by (workflow id, step key) or task id, updates are
guarded by state or by the progress revision, and a retry writes nothing twice.

Errors that a retry cannot fix (an input the workflow should never have sent) are raised as
non-retryable `ApplicationError`s of type `INVALID_INPUT`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from pydantic_core import to_jsonable_python
from temporalio import activity
from temporalio.exceptions import ApplicationError

from frontdoor.domain.audit import AuditEvent
from frontdoor.domain.policy import Role
from frontdoor.domain.records import (
    CloseTaskInput,
    Done,
    EscalateInput,
    EscalateResult,
    NotifyInput,
    NotifyResult,
    OpenTaskInput,
    RecordProgressInput,
    RegisterReferralInput,
    RegisterReferralResult,
)
from frontdoor.domain.tasks import TaskKind, TaskStatus
from frontdoor.store import notifications as notification_store
from frontdoor.store import referrals as referral_store
from frontdoor.store import tasks as task_store
from frontdoor.store.audit import insert_audit_event

INVALID_INPUT = "InvalidCaseActivityInput"
"""The error type of a non-retryable input error, for retry policies that name it."""

SYSTEM_ACTOR = "system"


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, non_retryable=True, type=INVALID_INPUT)


def _check_task_id(task_id: str) -> None:
    try:
        task_store.task_uuid(task_id)
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


class CaseActivities:
    """Case activities, built by the worker around its pool (the worker owns and closes it)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def register_referral(self, referral: RegisterReferralInput) -> RegisterReferralResult:
        """Create the case row and its `referral_received` audit event, and find earlier
        referrals of the same child (which make this a re-referral)."""
        async with self._pool.acquire() as conn, conn.transaction():
            # Looked up before inserting, and excluding this referral, so a retry finds the same.
            earlier = await referral_store.find_earlier_referrals(
                conn,
                referral.referral_id,
                referral.received_at,
                referral.nhs_number,
                referral.match_key,
            )
            inserted = await referral_store.upsert_referral(conn, referral)
            if earlier:
                await referral_store.mark_re_referral(conn, referral.workflow_id)
            await insert_audit_event(
                conn,
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
    async def open_task(self, task: OpenTaskInput) -> Done:
        """Put the task in its team's inbox, audit it, tell the team, and update the case."""
        _check_task_id(task.task_id)
        if task.kind is TaskKind.agency_check and task.agency is None:
            raise _invalid("an agency check task must name its agency")
        step_key = f"task/{task.task_id}/opened"
        async with self._pool.acquire() as conn, conn.transaction():
            inserted = await task_store.insert_task(conn, task)
            if task.kind is TaskKind.agency_check:
                await task_store.insert_agency_check(conn, task)
            await insert_audit_event(
                conn,
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
            await notification_store.queue_notification(
                conn,
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
            await referral_store.apply_progress(conn, task.workflow_id, task.progress)
        activity.logger.info(
            "task_opened",
            extra={"task_id": task.task_id, "task_kind": task.kind.value, "new_row": inserted},
        )
        return Done()

    @activity.defn
    async def close_task(self, close: CloseTaskInput) -> Done:
        """Close the task in the inbox (and its agency check), audit it, and update the case.

        A task already closed keeps its first closing; the audit event is written once.
        """
        _check_task_id(close.task_id)
        if close.status is TaskStatus.open:
            raise _invalid("close_task needs a closing status: completed, cancelled or superseded")
        async with self._pool.acquire() as conn, conn.transaction():
            closed = await task_store.close_task(conn, close)
            if close.kind is TaskKind.agency_check:
                await task_store.close_agency_check(conn, close)
            await insert_audit_event(
                conn,
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
            await referral_store.apply_progress(conn, close.workflow_id, close.progress)
        activity.logger.info(
            "task_closed",
            extra={
                "task_id": close.task_id,
                "task_kind": close.kind.value,
                "task_status": close.status.value,
                "new_row": closed,
            },
        )
        return Done()

    @activity.defn
    async def escalate(self, rung: EscalateInput) -> EscalateResult:
        """Record and notify one rung of a task's escalation ladder; return who was told.

        A reminder (the `assignee` rung) goes to whoever has claimed the task, or to its team if
        nobody has; a higher rung goes to that role in the owning team. The recipient is read
        back from the queued notification, so a retry returns the first answer even if the task
        was claimed in between.
        """
        _check_task_id(rung.task_id)
        reminder = rung.role is Role.assignee
        step_key = f"task/{rung.task_id}/rung/{rung.level}"
        async with self._pool.acquire() as conn, conn.transaction():
            recipient_role: str | None = rung.role.value
            if reminder:
                assignee = await task_store.get_task_assignee(conn, rung.task_id)
                recipient_role = f"assignee:{assignee}" if assignee else None
            notification_id = await notification_store.queue_notification(
                conn,
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
            queued = await notification_store.get_notification(conn, notification_id)
            assert queued is not None  # queued or found in this transaction
            told = describe_recipient(queued.recipient_team, queued.recipient_role)
            recorded = await insert_audit_event(
                conn,
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
                await task_store.raise_task_escalation(conn, rung.task_id, rung.level)
            await referral_store.apply_progress(conn, rung.workflow_id, rung.progress)
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
        return EscalateResult(told=told)

    @activity.defn
    async def notify(self, notice: NotifyInput) -> NotifyResult:
        """Queue a notification and audit it as `notified_<kind>` under the same step key."""
        async with self._pool.acquire() as conn, conn.transaction():
            try:
                notification_id = await notification_store.queue_notification(conn, notice)
            except notification_store.DisallowedPayloadError as err:
                raise _invalid(str(err)) from None
            recorded = await insert_audit_event(
                conn,
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
        return NotifyResult(notification_id=notification_id)

    @activity.defn
    async def record_progress(self, change: RecordProgressInput) -> Done:
        """Record a change to the case (new information, closure, ...) with its audit event."""
        async with self._pool.acquire() as conn, conn.transaction():
            recorded = await insert_audit_event(
                conn,
                AuditEvent(
                    workflow_id=change.workflow_id,
                    step_key=change.step_key,
                    kind=change.audit_kind,
                    actor=change.actor,
                    occurred_at=change.occurred_at,
                    details=to_jsonable_python(change.details),
                ),
            )
            applied = await referral_store.apply_progress(conn, change.workflow_id, change.progress)
        activity.logger.info(
            "progress_recorded",
            extra={
                "audit_kind": change.audit_kind,
                "step_key": change.step_key,
                "revision": change.progress.revision,
                "new_row": recorded.created,
                "progress_applied": applied,
            },
        )
        return Done()
