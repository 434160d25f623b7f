"""The referral workflow's effects on the world, each through an activity: computing deadlines,
opening and closing tasks, firing escalation rungs, queueing notifications, recording progress;
and the case state they keep (the query's answer, the search attributes, the read model).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.deadlines import compute_due, compute_dues
    from core import search_attributes as sa
    from domain.case import (
        CaseProgress,
        CaseState,
        EscalationView,
        ReferralSummary,
        Stage,
        TaskView,
        TimelineEntry,
        public_summary,
    )
    from domain.policy import Rag, Role, Rung, Step
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
        RecordProgressInput,
    )
    from domain.referral import ReferralInput
    from domain.tasks import Agency, TaskKind, TaskStatus
    from workflows.ladder import TrackedTask, watch

# Writes to PostgreSQL retry until they succeed: a case must never lose a step.
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["InvalidDeadlineRequest"],
)
DB_TIMEOUT = timedelta(seconds=30)
# A few quick tries in the worker before handing the write to the server's retries.
LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_attempts=3,
    non_retryable_error_types=["InvalidDeadlineRequest", "InvalidCaseActivityInput"],
)
In = TypeVar("In")
Out = TypeVar("Out")
ROLE_FOR_LEVEL = {1: Role.team_manager, 2: Role.service_manager, 3: Role.head_of_service}


LOCAL_ACTIVITIES_PATCH = "case-writes-as-local-activities"
# Since this patch, the writes of one step of a case go to PostgreSQL together, in one local
# activity (one transaction), and deadlines wanted together are computed together.
BATCHED_WRITES_PATCH = "case-writes-batched"


class CaseEffects:
    """State and effects shared by the referral workflow's stages."""

    # Set at the start of each run: whether this case's writes run as local activities, and
    # whether they are batched (queued by each step and written by `_flush`).
    _local: bool
    _batched: bool

    async def _call(self, activity: Callable[[Any, In], Awaitable[Out]], arg: In) -> Out:
        """Run a write to PostgreSQL. A local activity spares a server round trip; if it keeps
        failing (PostgreSQL down), the write moves to a regular activity, which Temporal retries
        and shows (pending, with its attempts and last failure) to `frontdoor stuck`. Cases
        started before the patch keep the regular activities their histories hold."""
        if self._local:
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

    def _init_case(self, params: ReferralInput) -> None:
        self._input = params
        self._state = CaseState(
            referral_id=params.referral_id,
            workflow_id=workflow.info().workflow_id,
            policy_version=params.policy_version,
            received_at=params.details.received_at,
            stage=Stage.screening,
        )
        self._tasks: dict[str, TrackedTask] = {}
        self._watchers: list[asyncio.Task[None]] = []
        self._revision = 0
        # Writes queued for the next flush, and the tasks they open (shown once written).
        self._pending: list[CaseWrite] = []
        self._opening: list[TrackedTask] = []
        self._published: tuple[object, ...] | None = None

    # ---- reading the case -----------------------------------------------------------------

    def _open_of(self, kind: TaskKind) -> list[TrackedTask]:
        return [t for t in self._tasks.values() if t.is_open and t.view.kind is kind]

    def _checks(self) -> list[TrackedTask]:
        return [t for t in self._tasks.values() if t.view.kind is TaskKind.agency_check]

    def _all_checks_in(self) -> bool:
        return all(not t.is_open for t in self._checks())

    def _refresh_missing_checks(self) -> None:
        """Show on the decision task which agencies have not answered yet."""
        missing = [t.view.agency for t in self._checks() if t.is_open and t.view.agency]
        for task in self._tasks.values():
            if task.view.kind is TaskKind.decision:
                task.view.missing_checks = missing

    def _snapshot(self) -> CaseState:
        return self._state.model_copy(
            update={"tasks": [t.view.model_copy() for t in self._tasks.values() if t.in_inbox]},
            deep=True,
        )

    def _summary(self) -> ReferralSummary:
        deadlines = self._state.deadlines
        milestones = self._state.milestones
        met = {
            "screening": ("screening", "screened"),
            "decision": ("decision", "decided"),
            "referrer_told": ("referrer_told", "referrer_told"),
            "visit": ("visit", "child_seen"),
        }
        return ReferralSummary(
            referral_id=self._state.referral_id,
            outcome=self._state.outcome,
            strategy_outcome=self._state.strategy_outcome,
            milestones=dict(milestones),
            deadlines=dict(deadlines),
            deadlines_met={
                name: milestones[done] <= deadlines[due]
                for name, (due, done) in met.items()
                if due in deadlines and done in milestones
            },
            highest_escalation_level=self._state.escalation_level,
            child_seen="child_seen" in milestones,
        )

    def _note(self, at: datetime, event: str, detail: str = "") -> None:
        self._state.timeline.append(TimelineEntry(at=at, event=event, detail=detail))

    def _progress(self) -> CaseProgress:
        self._revision += 1
        s = self._state
        return CaseProgress(
            revision=self._revision,
            stage=s.stage,
            rag=s.rag,
            immediate_risk=s.immediate_risk,
            re_referral=s.re_referral,
            escalation_level=s.escalation_level,
            outcome=s.outcome,
            strategy_outcome=s.strategy_outcome,
            exploitation_risk=s.exploitation_risk,
            deadlines=dict(s.deadlines),
            milestones=dict(s.milestones),
            next_due_at=min(
                (t.view.due_at for t in self._tasks.values() if t.is_open), default=None
            ),
        )

    def _publish(self) -> None:
        """Upsert the search attributes, only when they changed (each upsert is a history event)."""
        now = workflow.now()
        open_dues = [t.view.due_at for t in self._tasks.values() if t.is_open]
        next_due = min(open_dues) if open_dues else None
        values = (
            self._state.stage.value,
            self._state.rag.value if self._state.rag else None,
            self._state.escalation_level,
            next_due,
            any(due <= now for due in open_dues),
            self._state.re_referral,
        )
        if values == self._published:
            return
        self._published = values
        stage, rag, level, due, overdue, re_referral = values
        workflow.upsert_search_attributes(
            [
                sa.STAGE.value_set(str(stage)),
                sa.RAG.value_set(rag) if isinstance(rag, str) else sa.RAG.value_unset(),
                sa.ESCALATION_LEVEL.value_set(int(str(level))),
                sa.NEXT_DUE_AT.value_set(due)
                if isinstance(due, datetime)
                else sa.NEXT_DUE_AT.value_unset(),
                sa.OVERDUE.value_set(bool(overdue)),
                sa.RE_REFERRAL.value_set(bool(re_referral)),
            ]
        )

    # ---- tasks, ladders and the read model ----------------------------------------------

    def _due_input(
        self,
        step: Step,
        counts_from: datetime,
        *,
        rag: Rag | None = None,
        outcome: str | None = None,
    ) -> ComputeDueInput:
        return ComputeDueInput(
            policy_version=self._state.policy_version,
            step=step,
            counts_from=counts_from,
            rag=rag,
            outcome=outcome,
        )

    async def _due(
        self,
        step: Step,
        counts_from: datetime,
        *,
        rag: Rag | None = None,
        outcome: str | None = None,
    ) -> ComputeDueResult:
        (due,) = await self._dues(self._due_input(step, counts_from, rag=rag, outcome=outcome))
        return due

    async def _dues(self, *requests: ComputeDueInput) -> list[ComputeDueResult]:
        """Deadlines wanted at the same point: one local activity for all of them (one each in
        cases started before batching, as their histories hold)."""
        timeout = timedelta(seconds=10)
        if self._batched and len(requests) > 1:
            computed = await workflow.execute_local_activity(
                compute_dues,
                ComputeDuesInput(requests=list(requests)),
                start_to_close_timeout=timeout,
                retry_policy=DB_RETRY,
            )
            return computed.results
        return [
            await workflow.execute_local_activity(
                compute_due, request, start_to_close_timeout=timeout, retry_policy=DB_RETRY
            )
            for request in requests
        ]

    async def _write(self, write: CaseWrite) -> None:
        """Queue a write for the step's flush; in cases started before batching, write it now
        in its own activity (escalations go through `_escalate`, which needs the answer)."""
        if self._batched:
            self._pending.append(write)
            return
        if isinstance(write, OpenTaskInput):
            await self._call(CaseActivities.open_task, write)
        elif isinstance(write, CloseTaskInput):
            await self._call(CaseActivities.close_task, write)
        elif isinstance(write, NotifyInput):
            await self._call(CaseActivities.notify, write)
        elif isinstance(write, RecordProgressInput):
            await self._call(CaseActivities.record_progress, write)
        else:
            raise TypeError(f"{type(write).__name__} is written by _escalate")
        await self._flush()

    async def _flush(self) -> list[str | None]:
        """Write what is queued, in order, in one transaction; then show the tasks it opened and
        start watching their deadlines. Answers who each write told (escalations)."""
        writes, self._pending = self._pending, []
        opened, self._opening = self._opening, []
        told: list[str | None] = []
        if writes:
            applied = await self._call(
                CaseActivities.apply_writes,
                ApplyWritesInput(workflow_id=self._state.workflow_id, writes=writes),
            )
            told = applied.told
        for tracked in opened:
            tracked.in_inbox = True
            self._watchers.append(asyncio.create_task(watch(tracked, self._fire)))
        return told

    async def _open(
        self,
        kind: TaskKind,
        team: str,
        step: Step,
        counts_from: datetime,
        *,
        agency: Agency | None = None,
        rag: Rag | None = None,
        outcome: str | None = None,
        due: ComputeDueResult | None = None,
        attempt: int = 1,
    ) -> str:
        if due is None:
            due = await self._due(step, counts_from, rag=rag, outcome=outcome)
        task_id = str(workflow.uuid4())
        now = workflow.now()
        view = TaskView(
            task_id=task_id,
            kind=kind,
            team=team,
            agency=agency,
            opened_at=now,
            counts_from=counts_from,
            due_at=due.due_at,
            attempt=attempt,
            earlier_referrals=self._state.earlier_referrals if kind is TaskKind.screening else [],
        )
        if kind is TaskKind.screening:
            self._state.deadlines["screening"] = due.due_at
        tracked = TrackedTask(view=view, rungs=due.rungs)
        self._tasks[task_id] = tracked
        self._opening.append(tracked)
        self._note(now, "task_opened", f"{kind.value}{f' ({agency.value})' if agency else ''}")
        await self._write(
            OpenTaskInput(
                workflow_id=self._state.workflow_id,
                referral_id=self._state.referral_id,
                task_id=task_id,
                kind=kind,
                team=team,
                agency=agency,
                opened_at=now,
                due_at=due.due_at,
                progress=self._progress(),
            ),
        )
        if not self._batched:
            self._publish()
        return task_id

    async def _close_task(self, task: TrackedTask, status: TaskStatus) -> None:
        now = workflow.now()
        if status is not TaskStatus.completed:
            task.view.status = status
            task.view.completed_at = now
            task.changed()
        await self._write(
            CloseTaskInput(
                workflow_id=self._state.workflow_id,
                referral_id=self._state.referral_id,
                task_id=task.view.task_id,
                kind=task.view.kind,
                agency=task.view.agency,
                status=status,
                closed_at=task.view.completed_at or now,
                actor=task.view.completed_by,
                opened_at=task.view.opened_at,
                due_at=task.view.due_at,
                summary=public_summary(task.view.result),
                progress=self._progress(),
            ),
        )

    async def _fire(self, task: TrackedTask, rung: Rung) -> None:
        reason = f"{task.view.kind.value} due {task.view.due_at.isoformat()}" + (
            " is near" if rung.level == 0 else " has passed"
        )
        await self._escalate(task, rung.level, rung.role, rung.at, reason)

    async def _escalate_now(self, task: TrackedTask, level: int, reason: str) -> None:
        task.fired.update(range(level + 1))  # its ladder must not repeat these rungs
        await self._escalate(task, level, ROLE_FOR_LEVEL[level], workflow.now(), reason)

    async def _escalate(
        self, task: TrackedTask, level: int, role: Role, rung_at: datetime, reason: str
    ) -> None:
        now = workflow.now()
        if level > 0:
            task.view.escalation_level = max(task.view.escalation_level, level)
            self._state.escalation_level = max(self._state.escalation_level, level)
        rung = EscalateInput(
            workflow_id=self._state.workflow_id,
            referral_id=self._state.referral_id,
            task_id=task.view.task_id,
            kind=task.view.kind,
            team=task.view.team,
            level=level,
            role=role,
            rung_at=rung_at,
            fired_at=now,
            due_at=task.view.due_at,
            reason=reason,
            progress=self._progress(),
        )
        if self._batched:
            # Written at once, with whatever the step in hand has queued, to learn who was told.
            index = len(self._pending)
            self._pending.append(rung)
            told = (await self._flush())[index] or ""
        else:
            told = (await self._call(CaseActivities.escalate, rung)).told
        self._state.escalations.append(
            EscalationView(
                task_id=task.view.task_id,
                kind=task.view.kind,
                level=level,
                role=role,
                rung_at=rung_at,
                fired_at=now,
                reason=reason,
                told=told,
            )
        )
        self._note(now, "reminder" if level == 0 else "escalated", f"{reason}; told {told}")
        self._publish()

    async def _notify(self, key: str, kind: str, team: str, payload: dict[str, object]) -> None:
        await self._write(
            NotifyInput(
                workflow_id=self._state.workflow_id,
                referral_id=self._state.referral_id,
                step_key=f"notify/{key}",
                kind=kind,
                recipient_team=team,
                occurred_at=workflow.now(),
                payload=payload,
            ),
        )

    async def _record(
        self, kind: str, key: str, actor: str | None, details: dict[str, object] | None = None
    ) -> None:
        await self._write(
            RecordProgressInput(
                workflow_id=self._state.workflow_id,
                referral_id=self._state.referral_id,
                step_key=key,
                audit_kind=kind,
                actor=actor,
                occurred_at=workflow.now(),
                details=details or {},
                progress=self._progress(),
            ),
        )
