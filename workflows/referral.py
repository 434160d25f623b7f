"""`ReferralWorkflow`: one durable workflow per child, from the contact to a closed case.

The run loop is a reactor: update handlers record what staff did and queue an event; the loop
handles events one at a time through `Stages`, so every transition happens in one place and in
order, and a request returns only once the next tasks are in the inbox. Composed here: the case
model, the tasks and their ladders (the writer is the only activity caller), the transitions.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import (
        AddInformationOutcome,
        CaseState,
        CompleteTaskOutcome,
        OpenedTask,
        ReferralSummary,
        Stage,
    )
    from domain.exploitation import MaceActionResult, MaceResult, NrmResult
    from domain.policy import Step
    from domain.referral import ReferralInput
    from domain.tasks import (
        AcknowledgementResult,
        AddInformationInput,
        AgencyCheckResult,
        AssessmentCompletedResult,
        ChildProtectionConferenceResult,
        CompleteTaskInput,
        DecisionResult,
        HandoverResult,
        ReferralDecisionResult,
        ReferrerFeedbackResult,
        ReviewResult,
        ScreeningResult,
        StrategyDiscussionResult,
        TaskKind,
        TaskStatus,
        Team,
        VisitResult,
        WelfareCheckResult,
    )
    from workflows.case import Case, TrackedTask
    from workflows.events import CaseEvent, ChecksWindowClosed, InformationAdded, TaskCompleted
    from workflows.information import NewInformation
    from workflows.stages import Stages
    from workflows.tasks import CaseTasks
    from workflows.validation import case_closed, rejected, task_not_open, validate_completion


@workflow.defn
class ReferralWorkflow:
    """A referral about one child, from intake to a closed case."""

    # The transitions. A build that changes them names its own (tests/workers/variants.py).
    stages_type: ClassVar[type[Stages]] = Stages
    # A run hands the case to a new one (continue-as-new) well before Temporal's limits on one
    # run (10,240 events warned, 50 MB, 2,000 updates): after this many updates, events or bytes.
    updates_per_run: ClassVar[int] = 1_000
    events_per_run: ClassVar[int] = 5_000
    bytes_per_run: ClassVar[int] = 4 * 1024 * 1024

    @workflow.init
    def __init__(self, params: ReferralInput) -> None:
        self._case = Case(params, workflow.info().workflow_id)
        self._tasks = CaseTasks(self._case, publish=self._publish)
        self._stages = self.stages_type(self._case, self._tasks)
        self._information = NewInformation(self._case, self._tasks)
        self._updates = 0  # staff's updates handled in this run

    @workflow.query
    def state(self) -> CaseState:
        """The live case: stage, RAG, deadlines, tasks, escalations, outcome, timeline."""
        return self._case.snapshot()

    # ---- what staff do: the updates -------------------------------------------------------

    @workflow.update
    async def screening_task(self) -> OpenedTask:
        """The screening task, once in the inbox: intake sends this with the start, to answer."""

        def screening() -> TrackedTask | None:
            return next(iter(self._case.of_kind(TaskKind.screening)), None)

        await workflow.wait_condition(lambda: (task := screening()) is not None and task.in_inbox)
        task = screening()
        assert task is not None
        return OpenedTask(task_id=task.view.task_id, kind=task.view.kind, agency=task.view.agency)

    @workflow.update
    async def complete_task(self, params: CompleteTaskInput) -> CompleteTaskOutcome:
        """Complete an open task; answers once the tasks that follow are in the inbox."""
        task = self._case.tasks[params.task_id]
        if not task.is_open:
            # Two completions validated in the same activation: the first one applied wins.
            raise task_not_open(task.view)
        task.view.status = TaskStatus.completed
        task.view.completed_at = workflow.now()
        task.view.completed_by = params.actor
        task.view.result = params.result
        task.changed()
        self._updates += 1
        event = TaskCompleted(task_id=params.task_id)
        await self._queue(event)
        tasks = self._case.tasks
        return CompleteTaskOutcome(
            task_id=params.task_id,
            stage=self._case.state.stage,
            opened_task_ids=event.opened,
            opened_tasks=[
                OpenedTask(task_id=t, kind=tasks[t].view.kind, agency=tasks[t].view.agency)
                for t in event.opened
            ],
        )

    @complete_task.validator
    def _validate_complete_task(self, params: CompleteTaskInput) -> None:
        case = self._case
        if case.state.stage is Stage.closed:
            raise case_closed("the case is closed")
        task = case.tasks.get(params.task_id)
        if task is None or not task.in_inbox:
            raise rejected(f"task {params.task_id} is not a task of this referral")
        validate_completion(task.view, params, case.input.details, case.state, workflow.now())

    @workflow.update
    async def add_information(self, params: AddInformationInput) -> AddInformationOutcome:
        """New information about the child: on the timeline, and a review task to re-rate."""
        self._updates += 1
        event = InformationAdded(info=params)
        await self._queue(event)
        return AddInformationOutcome(
            review_task_id=event.review_task_id, stage=self._case.state.stage
        )

    @add_information.validator
    def _validate_add_information(self, params: AddInformationInput) -> None:
        if self._case.state.stage is Stage.closed:
            raise case_closed("the case is closed; new information starts a new referral")

    async def _queue(self, event: CaseEvent) -> None:
        self._stages.events.append(event)
        await workflow.wait_condition(lambda: event.done)

    # ---- the run loop ---------------------------------------------------------------------

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        case, writer, events = self._case, self._tasks.writer, self._stages.events
        if params.carried is None:
            await self._begin(params)
        else:
            self._resume()

        while case.state.stage is not Stage.closed:
            await workflow.wait_condition(
                lambda: bool(events) or (self._hand_over_due() and self._quiet())
            )
            if not events:  # nothing in hand: the next run takes the case from here
                workflow.continue_as_new(
                    ReferralInput(
                        referral_id=params.referral_id,
                        policy_version=params.policy_version,
                        details=params.details,
                        recorded_at=params.recorded_at,
                        carried=case.carry(),
                    )
                )
            event = events.popleft()
            await self._handle(event)
            await writer.flush()
            event.done = True
            self._publish()

        # Requests accepted just before the case closed are still recorded, never dropped.
        while events:
            event = events.popleft()
            match event:
                case TaskCompleted(task_id=task_id):
                    self._tasks.close(case.tasks[task_id], TaskStatus.completed)
                case InformationAdded():
                    self._information.after_close(event)
            await writer.flush()
            event.done = True
        # Let every handler answer and every ladder settle before the workflow completes.
        await asyncio.gather(*self._tasks.watchers)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return case.summary()

    async def _begin(self, params: ReferralInput) -> None:
        """The first run: the case row, the intake, the screening and the acknowledgement."""
        case, writer = self._case, self._tasks.writer
        received_at = params.details.received_at
        case.note(received_at, "contact_received", f"source {params.details.source.value}")
        team = Team.practitioners.value
        # The case row and the first deadlines at the same time.
        registered, (screening_due, acknowledgement_due) = await asyncio.gather(
            writer.register(),
            writer.dues(
                case.due_input(Step.screening, received_at, team=team),
                case.due_input(Step.acknowledgement, received_at, team=team),
            ),
        )
        if registered.earlier_referral_ids:
            case.state.re_referral = True
            case.state.earlier_referrals = registered.earlier_referral_ids
        await self._tasks.open(
            TaskKind.screening, Team.practitioners, Step.screening, received_at, due=screening_due
        )
        await self._stages.referrer.acknowledge(received_at, acknowledgement_due)
        await writer.flush()
        self._publish()

    def _resume(self) -> None:
        """A run that continues the case: watch again what the last run was watching."""
        case = self._case
        for task in case.tasks.values():
            if task.is_open and task.in_inbox:
                self._tasks.watch(task)
        if case.state.stage is Stage.checks and not case.of_kind(TaskKind.decision):
            self._stages.checks.watch_window()
        case.note(workflow.now(), "continued", f"run {case.runs}")
        self._publish()

    def _hand_over_due(self) -> bool:
        info = workflow.info()
        return (
            self._updates >= self.updates_per_run
            or info.get_current_history_length() >= self.events_per_run
            or info.get_current_history_size() >= self.bytes_per_run
            or info.is_continue_as_new_suggested()
        )

    def _quiet(self) -> bool:  # nothing half-done: every handler answered, no write in flight
        return workflow.all_handlers_finished() and self._tasks.writer.idle

    async def _handle(self, event: CaseEvent) -> None:
        match event:
            case ChecksWindowClosed():
                await self._stages.checks.open_decision_if_due()
            case InformationAdded():
                await self._information.on_added(event)
            case TaskCompleted(task_id=task_id):
                task = self._case.tasks[task_id]
                self._tasks.close(task, TaskStatus.completed)
                before = set(self._case.tasks)
                await self._completed(task)
                event.opened = [t for t in self._case.tasks if t not in before]
                task.view.result = None  # in the case record now; the workflow keeps no text

    async def _completed(self, task: TrackedTask) -> None:
        """What the completed task's result leads to."""
        stages = self._stages
        match task.view.result:
            case ScreeningResult() as result:
                await stages.on_screening(result)
            case AgencyCheckResult():
                await stages.checks.on_agency_check()
            case DecisionResult() as result:
                await stages.on_decision(result)
            case ReferralDecisionResult() as result:
                await stages.on_referral_decision(result)
            case StrategyDiscussionResult() as result:
                await stages.on_strategy(result)
            case VisitResult() as result:
                await stages.on_visit(task, result)
            case ReviewResult() as result:
                await self._information.on_review(result)
            case WelfareCheckResult() as result:
                self._case.note(
                    workflow.now(), "welfare_check_done", f"child seen: {result.child_seen}"
                )
            case AcknowledgementResult() | ReferrerFeedbackResult() as result:
                await stages.ending.on_referrer_task(result)
            case MaceResult() | MaceActionResult() | NrmResult() as result:
                await stages.ending.on_exploitation_task(result)
            case (
                HandoverResult() | AssessmentCompletedResult() | ChildProtectionConferenceResult()
            ) as result:
                await stages.ending.on_receiving_team(result)

    def _publish(self) -> None:
        """Upsert the search attributes, only when they changed (each upsert is a history event),
        and set the current details Temporal's UI shows (no event: replays are unaffected). Both
        hold no personal data: stage, RAG, escalation level, next due time."""
        updates = self._case.search_attribute_updates(workflow.now())
        if updates:
            workflow.upsert_search_attributes(updates)
        state = self._case.state
        next_due = min(self._case.open_dues(), default=None)
        workflow.set_current_details(
            f"stage {state.stage.value}; RAG {state.rag.value if state.rag else 'not rated'}; "
            f"escalation level {state.escalation_level}; next due "
            + (next_due.isoformat() if next_due is not None else "nothing open")
        )
