"""The case's writer: the only code in the workflow that calls activities.

Each step of a case queues its writes (a task closed, the next ones opened, notifications, the
audit trail, the read model's progress) and `flush` sends them in one local activity, one
PostgreSQL transaction. Deadlines wanted at the same point come from one local activity too, so
they are written into history and never move on replay.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.deadlines import compute_dues
    from domain.case import public_summary
    from domain.policy import Rag, Role, Step
    from domain.record import EntryKind
    from domain.records import (
        ApplyWritesInput,
        CaseWrite,
        CloseTaskInput,
        ComputeDueInput,
        ComputeDueResult,
        ComputeDuesInput,
        EscalateInput,
        NotifyInput,
        OpenTaskInput,
        RecordEntryInput,
        RecordProgressInput,
        RegisterReferralInput,
        RegisterReferralResult,
    )
    from domain.tasks import TaskStatus
    from workflows.case import Case, TrackedTask
    from workflows.retries import DB_RETRY, DB_TIMEOUT, DUE_TIMEOUT, LOCAL_RETRY

NOT_FITTING = "a result recorded in the history does not fit what the code expects at that point"
In = TypeVar("In")
Out = TypeVar("Out")


class CaseWriter:
    """Queues a case's writes and sends them; `on_written` hears of each task once its inbox
    row is in (so it can be shown and watched)."""

    def __init__(self, case: Case, on_written: Callable[[TrackedTask], None]) -> None:
        self._case = case
        self._on_written = on_written
        self._pending: list[CaseWrite] = []
        self._opening: list[TrackedTask] = []
        self._in_flight = 0

    @property
    def idle(self) -> bool:
        """No write queued or on its way to PostgreSQL."""
        return not self._pending and self._in_flight == 0

    @property
    def _ids(self) -> dict[str, Any]:
        return {
            "workflow_id": self._case.state.workflow_id,
            "referral_id": self._case.state.referral_id,
        }

    async def _call(self, activity: Callable[[Any, In], Awaitable[Out]], arg: In) -> Out:
        """Run a write to PostgreSQL. A local activity spares a server round trip; if it keeps
        failing (PostgreSQL down), the write moves to a regular activity, which Temporal retries
        and shows (pending, with its attempts and last failure) to `frontdoor stuck`."""
        try:
            return await workflow.execute_local_activity_method(
                activity, arg, start_to_close_timeout=DB_TIMEOUT, retry_policy=LOCAL_RETRY
            )
        except (ActivityError, ApplicationError) as err:
            # Local activities surface the activity's own failure once their tries run out.
            cause = err.cause if isinstance(err, ActivityError) else err
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                raise
            workflow.logger.warning(
                "local_write_failed", extra={"failure_type": getattr(cause, "type", None)}
            )
        return await workflow.execute_activity_method(
            activity, arg, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
        )

    # ---- deadlines ------------------------------------------------------------------------

    async def dues(self, *requests: ComputeDueInput) -> list[ComputeDueResult]:
        """The deadlines wanted at one point of the case, from one local activity (or none)."""
        if not requests:
            return []
        computed = await workflow.execute_local_activity(
            compute_dues,
            ComputeDuesInput(requests=list(requests)),
            start_to_close_timeout=DUE_TIMEOUT,
            retry_policy=DB_RETRY,
        )
        if len(computed.results) != len(requests):
            # Local activities are matched to their history markers by position only: on replay,
            # a deadline added or removed without a patch reads another point's answer.
            raise workflow.NondeterminismError(
                f"{NOT_FITTING} ({len(computed.results)} deadlines recorded where "
                f"{len(requests)} are asked: a local activity added, removed or reordered "
                "without a patch?)"
            )
        return computed.results

    async def due(
        self,
        step: Step,
        counts_from: datetime,
        *,
        rag: Rag | None = None,
        outcome: str | None = None,
        team: str | None = None,
    ) -> ComputeDueResult:
        (due,) = await self.dues(
            self._case.due_input(step, counts_from, rag=rag, outcome=outcome, team=team)
        )
        return due

    # ---- writes ---------------------------------------------------------------------------

    async def register(self) -> RegisterReferralResult:
        """The case row and its first audit event; answers the child's earlier referrals."""
        details = self._case.input.details
        return await self._call(
            CaseActivities.register_referral,
            RegisterReferralInput(
                **self._ids,
                received_at=details.received_at,
                source=details.source.value,
                policy_version=self._case.input.policy_version,
                details=details,
                progress=self._case.next_progress(),
            ),
        )

    def task_opened(self, task: TrackedTask) -> None:
        view = task.view
        self._opening.append(task)
        self._pending.append(
            OpenTaskInput(
                **self._ids,
                task_id=view.task_id,
                kind=view.kind,
                team=view.team,
                agency=view.agency,
                opened_at=view.opened_at,
                counts_from=view.counts_from,
                attempt=view.attempt,
                due_at=view.due_at,
                progress=self._case.next_progress(),
            )
        )

    def task_closed(self, task: TrackedTask, status: TaskStatus, now: datetime) -> None:
        """Close the task; a completed task's result goes to the case record as submitted."""
        view = task.view
        if status is not TaskStatus.completed:
            view.status = status
            view.completed_at = now
            task.changed()
        if view.result is not None:
            self.record_entry(
                EntryKind.task_result,
                f"task/{view.task_id}/result",
                view.completed_by,
                view.completed_at or now,
                {"task_kind": view.kind.value, "result": view.result.model_dump(mode="json")},
                task_id=view.task_id,
            )
        self._pending.append(
            CloseTaskInput(
                **self._ids,
                task_id=view.task_id,
                kind=view.kind,
                agency=view.agency,
                status=status,
                closed_at=view.completed_at or now,
                actor=view.completed_by,
                opened_at=view.opened_at,
                due_at=view.due_at,
                summary=public_summary(view.result),
                progress=self._case.next_progress(),
            )
        )

    def notify(
        self, key: str, kind: str, team: str, payload: dict[str, object], now: datetime
    ) -> None:
        self._pending.append(
            NotifyInput(
                **self._ids,
                step_key=f"notify/{key}",
                kind=kind,
                recipient_team=team,
                occurred_at=now,
                payload=payload,
            )
        )

    def record(
        self,
        kind: str,
        key: str,
        actor: str | None,
        now: datetime,
        details: dict[str, object] | None = None,
    ) -> None:
        self._pending.append(
            RecordProgressInput(
                **self._ids,
                step_key=key,
                audit_kind=kind,
                actor=actor,
                occurred_at=now,
                details=details or {},
                progress=self._case.next_progress(),
            )
        )

    def record_entry(
        self,
        kind: EntryKind,
        key: str,
        actor: str | None,
        occurred_at: datetime,
        body: dict[str, Any],
        *,
        task_id: str | None = None,
    ) -> None:
        """An entry of the case record; the body leaves the workflow with this write."""
        self._pending.append(
            RecordEntryInput(
                **self._ids,
                step_key=key,
                kind=kind,
                task_id=task_id,
                actor=actor,
                occurred_at=occurred_at,
                body=body,
            )
        )

    async def escalate(
        self,
        task: TrackedTask,
        level: int,
        role: Role,
        rung_at: datetime,
        fired_at: datetime,
        reason: str,
    ) -> str:
        """Write a rung at once, with whatever the step in hand has queued; answer who was
        told. The case records the rung (level, list) before its progress is taken."""
        view = task.view
        index = len(self._pending)
        self._pending.append(
            EscalateInput(
                **self._ids,
                task_id=view.task_id,
                kind=view.kind,
                team=view.team,
                level=level,
                role=role,
                rung_at=rung_at,
                fired_at=fired_at,
                due_at=view.due_at,
                reason=reason,
                progress=self._case.next_progress(),
            )
        )
        return (await self.flush())[index] or ""

    async def flush(self) -> list[str | None]:
        """Write what is queued, in order, in one transaction; then hand over the tasks it
        opened. Answers who each write told (escalations)."""
        writes, self._pending = self._pending, []
        opened, self._opening = self._opening, []
        told: list[str | None] = []
        if writes:
            self._in_flight += 1
            try:
                applied = await self._call(
                    CaseActivities.apply_writes,
                    ApplyWritesInput(workflow_id=self._case.state.workflow_id, writes=writes),
                )
            finally:
                self._in_flight -= 1
            told = applied.told
        for task in opened:
            task.in_inbox = True
            self._on_written(task)
        return told
