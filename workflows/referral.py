"""`ReferralWorkflow`: one durable workflow per child referral, from screening to a closed case.

The run loop is a reactor: update handlers record what staff did and queue an event; the loop
handles events one at a time (closing the task, opening what comes next), so every transition
happens in one place and in order, and the member of staff's request returns only once the next
tasks are in the inbox. Each open task is watched by its escalation ladder (`ladder.watch`).
Deadlines come from an activity, so they are written into history and never move on replay.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from domain.case import (
        AddInformationOutcome,
        CaseState,
        CompleteTaskOutcome,
        OpenedTask,
        ReferralSummary,
        Stage,
    )
    from domain.policy import Rag, Step
    from domain.records import ComputeDueInput, ComputeDueResult, RegisterReferralInput
    from domain.referral import ReferralDetails, ReferralInput, child_match_key
    from domain.tasks import (
        AddInformationInput,
        Agency,
        CompleteTaskInput,
        DecisionResult,
        ExploitationRisk,
        ReviewResult,
        ScreeningResult,
        StrategyDiscussionResult,
        TaskKind,
        TaskStatus,
        Team,
        VisitResult,
        WelfareCheckResult,
        agency_team,
    )
    from workflows.effects import (
        BATCHED_WRITES_PATCH,
        LOCAL_ACTIVITIES_PATCH,
        CaseEffects,
    )
    from workflows.ladder import TrackedTask
    from workflows.validation import (
        case_closed,
        rejected,
        task_not_open,
        validate_completion,
    )

RAG_ORDER = {Rag.green: 0, Rag.amber: 1, Rag.red: 2}
CLOSING_OUTCOMES = {"nfa", "advice", "early_help"}


@dataclass
class _Event:
    """Something the run loop must act on; `done` is set once it has."""

    kind: str
    task_id: str | None = None
    info: AddInformationInput | None = None
    done: bool = False
    opened: list[str] = field(default_factory=list)


@workflow.defn
class ReferralWorkflow(CaseEffects):
    """A referral about one child, from intake to a closed case."""

    @workflow.init
    def __init__(self, params: ReferralInput) -> None:
        self._init_case(params)
        self._events: deque[_Event] = deque()
        self._checks_version = 0
        # The decision's deadline as computed at screening, and under which RAG: reused when
        # the decision opens under the same RAG (batched cases), instead of computed again.
        self._decision_due: tuple[Rag, ComputeDueResult] | None = None

    # ---- what staff do: updates, and what the API reads: the query ------------------------

    @workflow.query
    def state(self) -> CaseState:
        """The live case: stage, RAG, deadlines, tasks, escalations, outcome, timeline."""
        return self._snapshot()

    @workflow.query
    def intake(self) -> ReferralDetails:
        """What was taken in at intake (personal data: the API decides who may see which part)."""
        return self._input.details

    @workflow.update
    async def screening_task(self) -> OpenedTask:
        """The screening task, once it is in the inbox: intake sends this with the start, so it
        can answer with the first task to do and nobody has to look for it."""

        def screening() -> TrackedTask | None:
            return next(
                (t for t in self._tasks.values() if t.view.kind is TaskKind.screening), None
            )

        await workflow.wait_condition(lambda: (task := screening()) is not None and task.in_inbox)
        task = screening()
        assert task is not None
        return OpenedTask(task_id=task.view.task_id, kind=task.view.kind, agency=task.view.agency)

    @workflow.update
    async def complete_task(self, params: CompleteTaskInput) -> CompleteTaskOutcome:
        """Complete an open task; answers once the tasks that follow are in the inbox."""
        task = self._tasks[params.task_id]
        if not task.is_open:
            # Two completions validated in the same activation: the first one applied wins.
            raise task_not_open(task.view)
        task.view.status = TaskStatus.completed
        task.view.completed_at = workflow.now()
        task.view.completed_by = params.actor
        task.view.result = params.result
        task.changed()
        event = _Event("completed", task_id=params.task_id)
        self._events.append(event)
        await workflow.wait_condition(lambda: event.done)
        return CompleteTaskOutcome(
            task_id=params.task_id,
            stage=self._state.stage,
            opened_task_ids=event.opened,
            opened_tasks=[
                OpenedTask(
                    task_id=t, kind=self._tasks[t].view.kind, agency=self._tasks[t].view.agency
                )
                for t in event.opened
            ],
        )

    @complete_task.validator
    def _validate_complete_task(self, params: CompleteTaskInput) -> None:
        if self._state.stage is Stage.closed:
            raise case_closed("the case is closed")
        task = self._tasks.get(params.task_id)
        if task is None or not task.in_inbox:
            raise rejected(f"task {params.task_id} is not a task of this referral")
        validate_completion(task.view, params, self._input.details, self._state, workflow.now())

    @workflow.update
    async def add_information(self, params: AddInformationInput) -> AddInformationOutcome:
        """New information about the child: on the timeline, and a review task to re-rate."""
        event = _Event("information_added", info=params)
        self._events.append(event)
        await workflow.wait_condition(lambda: event.done)
        return AddInformationOutcome(
            review_task_id=event.opened[0] if event.opened else None, stage=self._state.stage
        )

    @add_information.validator
    def _validate_add_information(self, params: AddInformationInput) -> None:
        if self._state.stage is Stage.closed:
            raise case_closed("the case is closed; new information starts a new referral")

    # ---- the run loop -------------------------------------------------------------------

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        self._local = workflow.patched(LOCAL_ACTIVITIES_PATCH)
        self._batched = workflow.patched(BATCHED_WRITES_PATCH)
        details = params.details
        self._note(details.received_at, "referral_received", f"source {details.source.value}")
        register = self._call(
            CaseActivities.register_referral,
            RegisterReferralInput(
                workflow_id=self._state.workflow_id,
                referral_id=params.referral_id,
                received_at=details.received_at,
                source=details.source.value,
                policy_version=params.policy_version,
                nhs_number=details.child.nhs_number,
                match_key=child_match_key(details.child),
                progress=self._progress(),
            ),
        )
        screening_due = None
        if self._batched:  # the case row and the screening deadline at the same time
            registered, screening_due = await asyncio.gather(
                register, self._due(Step.screening, details.received_at)
            )
        else:
            registered = await register
        if registered.earlier_referral_ids:
            self._state.re_referral = True
            self._state.earlier_referrals = registered.earlier_referral_ids
        await self._open(
            TaskKind.screening,
            Team.practitioners,
            Step.screening,
            details.received_at,
            due=screening_due,
        )
        await self._flush()
        self._publish()

        while self._state.stage is not Stage.closed:
            await workflow.wait_condition(lambda: bool(self._events))
            event = self._events.popleft()
            await self._handle(event)
            await self._flush()
            event.done = True
            self._publish()

        # Requests accepted just before the case closed are still recorded, never dropped.
        while self._events:
            await self._after_close(self._events.popleft())
        # Let every handler answer and every ladder settle before the workflow completes.
        await asyncio.gather(*self._watchers)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._summary()

    async def _after_close(self, event: _Event) -> None:
        if event.task_id is not None:
            await self._close_task(self._tasks[event.task_id], TaskStatus.completed)
        elif event.info is not None:
            self._note(
                workflow.now(), "information_added", f"from {event.info.source}: {event.info.text}"
            )
            await self._record(
                "information_added", f"information/late/{self._revision}", event.info.actor
            )
        await self._flush()
        event.done = True

    async def _handle(self, event: _Event) -> None:
        if event.kind == "checks_window_closed":
            await self._open_decision_if_due()
            return
        if event.kind == "information_added":
            assert event.info is not None
            await self._on_information(event)
            return
        assert event.task_id is not None
        task = self._tasks[event.task_id]
        await self._close_task(task, TaskStatus.completed)
        before = set(self._tasks)
        result = task.view.result
        if isinstance(result, ScreeningResult):
            await self._on_screening(result)
        elif isinstance(result, DecisionResult):
            await self._on_decision(result)
        elif isinstance(result, StrategyDiscussionResult):
            await self._on_strategy(result)
        elif isinstance(result, VisitResult):
            await self._on_visit(task, result)
        elif isinstance(result, ReviewResult):
            await self._on_review(result)
        elif isinstance(result, WelfareCheckResult):
            self._note(workflow.now(), "welfare_check_done", f"child seen: {result.child_seen}")
        else:  # an agency check; the last one in opens the decision before this answer returns
            self._refresh_missing_checks()
            self._checks_version += 1
            if self._all_checks_in():
                await self._open_decision_if_due()
        event.opened = [task_id for task_id in self._tasks if task_id not in before]

    # ---- what each completion leads to --------------------------------------------------

    async def _on_screening(self, result: ScreeningResult) -> None:
        now = workflow.now()
        self._state.rag = result.rag
        self._state.immediate_risk = result.immediate_risk
        self._state.milestones["screened"] = now
        self._note(now, "screened", f"RAG {result.rag.value}")
        checks, decision = await self._dues(
            self._due_input(Step.agency_check, now, rag=result.rag),
            self._due_input(Step.decision, self._state.received_at, rag=result.rag),
        )
        self._state.deadlines["checks"] = checks.due_at
        self._state.deadlines["decision"] = decision.due_at
        self._decision_due = (result.rag, decision)
        self._state.stage = Stage.checks
        for agency in result.agencies:
            await self._open(
                TaskKind.agency_check,
                agency_team(agency),
                Step.agency_check,
                now,
                agency=agency,
                due=checks,
            )
        if result.immediate_risk:
            await self._open_decision_if_due()
        else:
            self._watchers.append(asyncio.create_task(self._watch_checks_window()))

    async def _watch_checks_window(self) -> None:
        """Open the decision when every check is in or the checks are due, whichever is first."""
        while True:
            seen = self._checks_version
            due = self._state.deadlines["checks"]
            wait = due - workflow.now()
            if self._all_checks_in() or wait <= timedelta(0):
                break
            try:
                await workflow.wait_condition(
                    lambda seen=seen: self._checks_version != seen,  # type: ignore[misc]
                    timeout=wait,
                    timeout_summary="checks due",
                )
            except TimeoutError:
                break
        self._events.append(_Event("checks_window_closed"))

    async def _open_decision_if_due(self) -> None:
        if any(t.view.kind is TaskKind.decision for t in self._tasks.values()):
            return
        self._state.stage = Stage.decision
        known = self._decision_due
        await self._open(
            TaskKind.decision,
            Team.managers,
            Step.decision,
            self._state.received_at,
            rag=self._state.rag,
            due=known[1] if self._batched and known and known[0] == self._state.rag else None,
        )
        self._refresh_missing_checks()

    async def _on_decision(self, result: DecisionResult) -> None:
        now = workflow.now()
        self._state.outcome = result.outcome
        self._state.milestones["decided"] = now
        if result.exploitation is not None:
            self._state.exploitation_risk = result.exploitation.risk.value
        self._note(now, "decided", f"outcome {result.outcome}")
        # Batched cases compute the next stage's deadlines with the referrer's, in one go.
        wanted: dict[Step, ComputeDueInput] = {}
        if self._batched and result.outcome not in CLOSING_OUTCOMES:
            if result.outcome != "assessment":
                wanted[Step.strategy_discussion] = self._due_input(
                    Step.strategy_discussion, now, outcome=result.outcome
                )
            if result.outcome in ("assessment", "immediate_protection"):
                wanted[Step.visit] = self._due_input(Step.visit, now, outcome=result.outcome)
        told, *computed = await self._dues(
            self._due_input(Step.referrer_told, now), *wanted.values()
        )
        ahead = dict(zip(wanted, computed, strict=True))
        self._state.deadlines["referrer_told"] = told.due_at
        await self._notify(
            "referrer_told", "referrer_told", "referrer", {"outcome": result.outcome}
        )
        self._state.milestones["referrer_told"] = workflow.now()
        if result.exploitation is not None and result.exploitation.risk in (
            ExploitationRisk.significant,
            ExploitationRisk.experiencing,
        ):
            await self._notify(
                "exploitation",
                "exploitation_risk",
                Team.exploitation.value,
                {"risk": result.exploitation.risk.value},
            )
        if result.outcome in CLOSING_OUTCOMES:
            await self._close_case()
        elif result.outcome == "assessment":
            await self._open_visit(now, "assessment", due=ahead.get(Step.visit))
        else:  # a strategy discussion, with a visit at once for immediate protection
            self._state.stage = Stage.strategy_discussion
            due = ahead.get(Step.strategy_discussion) or await self._due(
                Step.strategy_discussion, now, outcome=result.outcome
            )
            self._state.deadlines["strategy_discussion"] = due.due_at
            await self._open(
                TaskKind.strategy_discussion, Team.managers, Step.strategy_discussion, now, due=due
            )
            if result.outcome == "immediate_protection":
                await self._open_visit(
                    now,
                    "immediate_protection",
                    stage=Stage.strategy_discussion,
                    due=ahead.get(Step.visit),
                )

    async def _on_strategy(self, result: StrategyDiscussionResult) -> None:
        self._state.strategy_outcome = result.outcome.value
        self._state.milestones["strategy_held"] = result.held_at
        self._note(workflow.now(), "strategy_discussion_held", f"outcome {result.outcome.value}")
        if "child_seen" in self._state.milestones:
            await self._close_case()  # immediate protection: the child was seen first
        elif self._open_of(TaskKind.visit):
            self._state.stage = Stage.visit  # immediate protection: the visit is already open
        elif result.outcome.value == "nfa":
            await self._close_case()
        else:
            await self._open_visit(result.held_at, result.outcome.value)

    async def _open_visit(
        self,
        counts_from: datetime,
        outcome: str,
        stage: Stage = Stage.visit,
        due: ComputeDueResult | None = None,
    ) -> None:
        self._state.stage = stage
        self._visit_attempts = 1
        if due is None:
            due = await self._due(Step.visit, counts_from, outcome=outcome)
        self._state.deadlines["visit"] = due.due_at
        await self._open(TaskKind.visit, Team.practitioners, Step.visit, counts_from, due=due)

    async def _on_visit(self, task: TrackedTask, result: VisitResult) -> None:
        if result.child_seen:
            self._state.milestones["child_seen"] = result.visited_at
            self._note(workflow.now(), "child_seen", "seen alone" if result.seen_alone else "")
            if self._open_of(TaskKind.strategy_discussion):
                self._state.stage = Stage.strategy_discussion  # still to be held
            else:
                await self._close_case()
            return
        attempt = task.view.attempt
        reason = f"visit attempt {attempt}: child not seen ({result.not_seen_reason})"
        self._note(workflow.now(), "child_not_seen", reason)
        due = await self._due(Step.visit_reattempt, result.visited_at)
        next_id = await self._open(
            TaskKind.visit,
            Team.practitioners,
            Step.visit_reattempt,
            result.visited_at,
            due=due,
            attempt=attempt + 1,
        )
        # A failed visit escalates at once, one rung per failed attempt, on the new attempt.
        level = min(attempt, 3)
        await self._escalate_now(self._tasks[next_id], level, reason)
        if attempt == 2:
            welfare = await self._due(Step.visit_reattempt, workflow.now())
            await self._open(
                TaskKind.police_welfare_check,
                agency_team(Agency.police),
                Step.visit_reattempt,
                workflow.now(),
                agency=Agency.police,
                due=welfare,
            )

    async def _on_information(self, event: _Event) -> None:
        assert event.info is not None
        now = workflow.now()
        self._note(now, "information_added", f"from {event.info.source}: {event.info.text}")
        review_id = await self._open(
            TaskKind.review_new_information, Team.practitioners, Step.review_new_information, now
        )
        event.opened = [review_id]
        await self._record("information_added", f"information/{review_id}", event.info.actor)

    async def _on_review(self, result: ReviewResult) -> None:
        now = workflow.now()
        self._note(now, "information_reviewed", f"RAG {result.rag.value if result.rag else 'kept'}")
        if result.rag is None or self._state.rag is None or result.rag == self._state.rag:
            return
        raised = RAG_ORDER[result.rag] > RAG_ORDER[self._state.rag]
        self._state.rag = result.rag
        if raised:
            await self._tighten(result.rag)

    async def _tighten(self, rag: Rag) -> None:
        """A higher RAG brings forward the deadlines still ahead; nothing ever moves later."""
        for task in list(self._tasks.values()):
            if not task.is_open or task.view.kind not in (TaskKind.agency_check, TaskKind.decision):
                continue
            step = Step.agency_check if task.view.kind is TaskKind.agency_check else Step.decision
            due = await self._due(step, task.view.counts_from, rag=rag)
            if due.due_at < task.view.due_at:
                task.view.due_at = due.due_at
                task.rungs = due.rungs
                task.changed()
        for name, step, start in (
            ("checks", Step.agency_check, self._state.milestones.get("screened")),
            ("decision", Step.decision, self._state.received_at),
        ):
            if (
                name in self._state.deadlines
                and start is not None
                and "decided" not in self._state.milestones
            ):
                due = await self._due(step, start, rag=rag)
                self._state.deadlines[name] = min(self._state.deadlines[name], due.due_at)
        self._checks_version += 1
        await self._record(
            "deadlines_tightened", f"tightened/{self._revision}", None, {"rag": rag.value}
        )

    async def _close_case(self) -> None:
        now = workflow.now()
        for task in list(self._tasks.values()):
            if task.is_open:
                await self._close_task(task, TaskStatus.cancelled)
        self._state.stage = Stage.closed
        self._state.milestones["closed"] = now
        self._note(now, "closed", f"outcome {self._state.outcome}")
        await self._record("case_closed", "closed", None, {"outcome": self._state.outcome})
