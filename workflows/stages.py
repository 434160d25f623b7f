"""The referral's transitions: what each completion leads to, stage by stage.

`Stages` changes the case model and queues the writes each step makes (through the writer); the
workflow's run loop flushes them once the step is done. Every open task is watched by its
escalation ladder, and the checks window by its own timer.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseState, Deadline, Milestone, Stage
    from domain.policy import Step, StrategyOutcome
    from domain.records import ComputeDueInput, ComputeDueResult
    from domain.tasks import (
        Agency,
        DecisionResult,
        ExploitationRisk,
        ScreeningResult,
        StrategyDiscussionResult,
        TaskKind,
        TaskStatus,
        Team,
        VisitResult,
        agency_team,
    )
    from workflows.case import Case, TrackedTask
    from workflows.events import CaseEvent, ChecksWindowClosed
    from workflows.tasks import CaseTasks

SIGNIFICANT_EXPLOITATION = (ExploitationRisk.significant, ExploitationRisk.experiencing)


class Stages:
    """The transitions of one case; owns the queue of events its run loop handles."""

    def __init__(self, case: Case, tasks: CaseTasks) -> None:
        self.case = case
        self.tasks = tasks
        self.writer = tasks.writer
        self.events: deque[CaseEvent] = deque()

    @property
    def _state(self) -> CaseState:
        return self.case.state

    # ---- screening, checks and the decision -----------------------------------------------

    async def on_screening(self, result: ScreeningResult) -> None:
        now = workflow.now()
        state = self._state
        state.rag = result.rag
        state.immediate_risk = result.immediate_risk
        state.milestones[Milestone.screened] = now
        self.case.note(now, "screened", f"RAG {result.rag.value}")
        checks, decision = await self.writer.dues(
            self.case.due_input(Step.agency_check, now, rag=result.rag),
            self.case.due_input(Step.decision, state.received_at, rag=result.rag),
        )
        state.deadlines[Deadline.checks] = checks.due_at
        state.deadlines[Deadline.decision] = decision.due_at
        self.case.decision_due = (result.rag, decision)
        state.stage = Stage.checks
        for agency in result.agencies:
            await self.tasks.open(
                TaskKind.agency_check,
                agency_team(agency),
                Step.agency_check,
                now,
                agency=agency,
                due=checks,
            )
        if result.immediate_risk:
            await self.open_decision_if_due()
        else:
            self.watch_checks_window()

    def watch_checks_window(self) -> None:
        """Watch the checks' window (again, in a run that continued the case)."""
        self.tasks.spawn(self._watch_checks_window())

    async def _watch_checks_window(self) -> None:
        """Open the decision when every check is in or the checks are due, whichever is first."""
        while True:
            seen = self.case.checks_version
            wait = self._state.deadlines[Deadline.checks] - workflow.now()
            if self.case.all_checks_in() or wait <= timedelta(0):
                break
            try:
                await workflow.wait_condition(
                    lambda seen=seen: self.case.checks_version != seen,  # type: ignore[misc]
                    timeout=wait,
                    timeout_summary="checks due",
                )
            except TimeoutError:
                break
        self.events.append(ChecksWindowClosed())

    async def on_agency_check(self) -> None:
        """A check came in; the last one opens the decision before this answer returns."""
        self.case.refresh_missing_checks()
        self.case.checks_version += 1
        if self.case.all_checks_in():
            await self.open_decision_if_due()

    async def open_decision_if_due(self) -> None:
        if self.case.of_kind(TaskKind.decision):
            return
        self._state.stage = Stage.decision
        known = self.case.decision_due
        await self.tasks.open(
            TaskKind.decision,
            Team.managers,
            Step.decision,
            self._state.received_at,
            rag=self._state.rag,
            due=known[1] if known and known[0] == self._state.rag else None,
        )
        self.case.refresh_missing_checks()

    async def on_decision(self, result: DecisionResult) -> None:
        now = workflow.now()
        state, outcome = self._state, result.outcome
        state.outcome = outcome
        state.milestones[Milestone.decided] = now
        if result.exploitation is not None:
            state.exploitation_risk = result.exploitation.risk
        self.case.note(now, "decided", f"outcome {outcome.value}")
        # The next stage's deadlines come with the referrer's, in one go.
        wanted: dict[Step, ComputeDueInput] = {}
        if outcome.holds_strategy_discussion:
            wanted[Step.strategy_discussion] = self.case.due_input(
                Step.strategy_discussion, now, outcome=outcome.value
            )
        if outcome.visits_at_once:
            wanted[Step.visit] = self.case.due_input(Step.visit, now, outcome=outcome.value)
        told, *computed = await self.writer.dues(
            self.case.due_input(Step.referrer_told, now), *wanted.values()
        )
        ahead = dict(zip(wanted, computed, strict=True))
        state.deadlines[Deadline.referrer_told] = told.due_at
        self.writer.notify(
            "referrer_told", "referrer_told", "referrer", {"outcome": outcome.value}, now
        )
        state.milestones[Milestone.referrer_told] = now
        if result.exploitation is not None and result.exploitation.risk in SIGNIFICANT_EXPLOITATION:
            self.writer.notify(
                "exploitation",
                "exploitation_risk",
                Team.exploitation.value,
                {"risk": result.exploitation.risk.value},
                now,
            )
        if outcome.closes_case:
            await self.close_case()
            return
        if outcome.holds_strategy_discussion:
            state.stage = Stage.strategy_discussion
            due = ahead[Step.strategy_discussion]
            state.deadlines[Deadline.strategy_discussion] = due.due_at
            await self.tasks.open(
                TaskKind.strategy_discussion, Team.managers, Step.strategy_discussion, now, due=due
            )
        if outcome.visits_at_once:  # before the discussion, for immediate protection
            stage = Stage.strategy_discussion if outcome.holds_strategy_discussion else Stage.visit
            await self._open_visit(now, outcome.value, stage=stage, due=ahead[Step.visit])

    # ---- the strategy discussion and the visit --------------------------------------------

    async def on_strategy(self, result: StrategyDiscussionResult) -> None:
        state = self._state
        state.strategy_outcome = result.outcome
        state.milestones[Milestone.strategy_held] = result.held_at
        self.case.note(
            workflow.now(), "strategy_discussion_held", f"outcome {result.outcome.value}"
        )
        if Milestone.child_seen in state.milestones:
            await self.close_case()  # immediate protection: the child was seen first
        elif self.case.open_of(TaskKind.visit):
            state.stage = Stage.visit  # immediate protection: the visit is already open
        elif result.outcome is StrategyOutcome.nfa:
            await self.close_case()
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
        if due is None:
            due = await self.writer.due(Step.visit, counts_from, outcome=outcome)
        self._state.deadlines[Deadline.visit] = due.due_at
        await self.tasks.open(TaskKind.visit, Team.practitioners, Step.visit, counts_from, due=due)

    async def on_visit(self, task: TrackedTask, result: VisitResult) -> None:
        now = workflow.now()
        if result.child_seen:
            self._state.milestones[Milestone.child_seen] = result.visited_at
            self.case.note(now, "child_seen", "seen alone" if result.seen_alone else "")
            if self.case.open_of(TaskKind.strategy_discussion):
                self._state.stage = Stage.strategy_discussion  # still to be held
            else:
                await self.close_case()
            return
        attempt = task.view.attempt
        reason = f"visit attempt {attempt}: child not seen ({result.not_seen_reason})"
        self.case.note(now, "child_not_seen", reason)
        due = await self.writer.due(Step.visit_reattempt, result.visited_at)
        next_id = await self.tasks.open(
            TaskKind.visit,
            Team.practitioners,
            Step.visit_reattempt,
            result.visited_at,
            due=due,
            attempt=attempt + 1,
        )
        # A failed visit escalates at once, one rung per failed attempt, on the new attempt.
        await self.tasks.escalate_now(self.case.tasks[next_id], min(attempt, 3), reason)
        if attempt == 2:
            welfare = await self.writer.due(Step.visit_reattempt, workflow.now())
            await self.tasks.open(
                TaskKind.police_welfare_check,
                agency_team(Agency.police),
                Step.visit_reattempt,
                workflow.now(),
                agency=Agency.police,
                due=welfare,
            )

    async def close_case(self) -> None:
        now = workflow.now()
        for task in list(self.case.tasks.values()):
            if task.is_open:
                self.tasks.close(task, TaskStatus.cancelled)
        self._state.stage = Stage.closed
        self._state.milestones[Milestone.closed] = now
        outcome = self._state.outcome
        self.case.note(now, "closed", f"outcome {outcome.value if outcome else None}")
        self.writer.record(
            "case_closed", "closed", None, now, {"outcome": outcome.value if outcome else None}
        )
