"""The referral's transitions: what each completion leads to, stage by stage.

`Stages` changes the case model and queues the writes each step makes (through the writer); the
workflow's run loop flushes them once the step is done. Every open task is watched by its
escalation ladder, and the checks window by its own timer.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseState, Deadline, Milestone, Stage
    from domain.policy import DecisionOutcome, Step, StrategyOutcome
    from domain.records import ComputeDueInput
    from domain.tasks import (
        DecisionResult,
        ReferralDecisionResult,
        ScreeningResult,
        StrategyDiscussionResult,
        TaskKind,
        Team,
        VisitResult,
        agency_team,
    )
    from workflows.case import Case, TrackedTask
    from workflows.checks import Checks
    from workflows.ending import Ending
    from workflows.events import CaseEvent
    from workflows.exploitation import ExploitationPathway
    from workflows.handover import Handover
    from workflows.referrer import ReferrerLoop
    from workflows.tasks import CaseTasks
    from workflows.visits import Visits

MANAGERS = Team.managers.value
PRACTITIONERS = Team.practitioners.value


class Stages:
    """The transitions of one case; owns the queue of events its run loop handles."""

    def __init__(self, case: Case, tasks: CaseTasks) -> None:
        self.case = case
        self.tasks = tasks
        self.writer = tasks.writer
        self.events: deque[CaseEvent] = deque()
        self.referrer = ReferrerLoop(case, tasks)
        self.handover = Handover(case, tasks)
        self.visits = Visits(case, tasks)
        self.checks = Checks(case, tasks, self.events)
        self.exploitation = ExploitationPathway(case, tasks)
        self.ending = Ending(case, tasks, self.referrer, self.exploitation, self.handover)

    @property
    def _state(self) -> CaseState:
        return self.case.state

    # ---- screening, checks and the MASH decision ------------------------------------------

    async def on_screening(self, result: ScreeningResult) -> None:
        now = workflow.now()
        case, state = self.case, self._state
        state.rag = result.rag
        state.immediate_risk = result.immediate_risk
        state.milestones[Milestone.screened] = now
        case.note(now, "screened", f"RAG {result.rag.value}")
        if result.immediate_risk:
            self._refer(now)  # immediate risk makes the contact a referral at once
        # The MASH decision's deadline first: each check's window leaves the manager the
        # policy's margin before it.
        wanted = [
            case.due_input(Step.mash_decision, state.received_at, rag=result.rag, team=MANAGERS)
        ]
        if result.immediate_risk:
            wanted.append(case.due_input(Step.referral_decision, now, team=MANAGERS))
        decision, *referral = await self.writer.dues(*wanted)
        state.deadlines[Deadline.mash_decision] = decision.due_at
        if referral:
            state.deadlines[Deadline.referral_decision] = referral[0].due_at
            # A child at immediate risk: the decision is due at the earlier of the two.
            decision = min(decision, referral[0], key=lambda due: due.due_at)
        rest = await self.writer.dues(
            *(
                case.due_input(
                    Step.agency_check,
                    now,
                    rag=result.rag,
                    team=agency_team(agency),
                    mash_decision_due=decision.due_at,
                )
                for agency in result.agencies
            )
        )
        case.decision_due = (result.rag, decision)
        state.deadlines[Deadline.checks] = max(due.due_at for due in rest)
        state.stage = Stage.checks
        for agency, checks in zip(result.agencies, rest, strict=True):
            await self.tasks.open(
                TaskKind.agency_check,
                agency_team(agency),
                Step.agency_check,
                now,
                agency=agency,
                due=checks,
            )
        await self.exploitation.on_screening(result.exploitation, now)
        if result.immediate_risk:
            await self.checks.open_decision_if_due()
        else:
            self.checks.watch_window()

    def _refer(self, now: datetime) -> None:
        """The contact becomes a referral to children's social care."""
        state = self._state
        if state.referral_at is None:
            state.referral_at = now
            state.milestones[Milestone.referred] = now
            self.case.note(now, "referred", "to children's social care")

    async def on_decision(self, result: DecisionResult) -> None:
        """The MASH decision: close the contact, make it a referral whose response is decided
        next, or make it a referral and decide the response at once."""
        now = workflow.now()
        state, outcome = self._state, result.outcome
        state.outcome = outcome
        state.milestones[Milestone.mash_decided] = now
        if result.exploitation is not None:
            state.exploitation_risk = result.exploitation.risk
        self.case.note(now, "decided", f"outcome {outcome.value}")
        await self._exploitation(result, now)
        if not outcome.makes_referral:
            await self.referrer.tell_outcome(outcome, now)
            await self.ending.finish()
            return
        self._refer(now)
        if outcome is DecisionOutcome.referral:
            referral_at = state.referral_at or now
            due = await self.writer.due(Step.referral_decision, referral_at, team=MANAGERS)
            state.deadlines[Deadline.referral_decision] = due.due_at
            state.stage = Stage.decision
            await self.tasks.open(
                TaskKind.referral_decision,
                Team.managers,
                Step.referral_decision,
                referral_at,
                due=due,
            )
            return
        await self._respond(outcome, now)

    async def on_referral_decision(self, result: ReferralDecisionResult) -> None:
        now = workflow.now()
        self._state.outcome = result.response
        if result.exploitation is not None:
            self._state.exploitation_risk = result.exploitation.risk
        self.case.note(now, "referral_decided", f"response {result.response.value}")
        await self._exploitation(result, now)
        await self._respond(result.response, now)

    async def _exploitation(
        self, result: DecisionResult | ReferralDecisionResult, now: datetime
    ) -> None:
        await self.exploitation.on_screening(result.exploitation, now)
        if result.exploitation is not None and result.exploitation.risk.significant_or_worse:
            self.writer.notify(
                f"exploitation/{result.kind}",
                "exploitation_risk",
                Team.exploitation.value,
                {"risk": result.exploitation.risk.value},
                now,
            )

    async def _respond(self, outcome: DecisionOutcome, now: datetime) -> None:
        """The referral's response is decided: the referrer is told, and what it calls for
        starts (the strategy discussion and the visit deadlines in one go)."""
        state = self._state
        state.outcome = outcome
        state.milestones[Milestone.referral_decided] = now
        if Deadline.referral_decision not in state.deadlines:  # decided with the MASH decision
            due = await self.writer.due(
                Step.referral_decision, state.referral_at or now, team=MANAGERS
            )
            state.deadlines[Deadline.referral_decision] = due.due_at
        await self.referrer.tell_outcome(outcome, now)
        if outcome.closes_case:
            await self.ending.finish()
            return
        wanted: dict[Step, ComputeDueInput] = {}
        if outcome.holds_strategy_discussion:
            wanted[Step.strategy_discussion] = self.case.due_input(
                Step.strategy_discussion, now, outcome=outcome.value, team=MANAGERS
            )
        if outcome.visits_at_once:
            wanted[Step.visit] = self.case.due_input(
                Step.visit, now, outcome=outcome.value, team=PRACTITIONERS
            )
        ahead = dict(zip(wanted, await self.writer.dues(*wanted.values()), strict=True))
        if outcome.holds_strategy_discussion:
            state.stage = Stage.strategy_discussion
            due = ahead[Step.strategy_discussion]
            state.deadlines[Deadline.strategy_discussion] = due.due_at
            await self.tasks.open(
                TaskKind.strategy_discussion, Team.managers, Step.strategy_discussion, now, due=due
            )
        if outcome.visits_at_once:  # before the discussion, for immediate protection
            stage = Stage.strategy_discussion if outcome.holds_strategy_discussion else Stage.visit
            await self.visits.open(now, outcome.value, stage=stage, due=ahead[Step.visit])

    # ---- the strategy discussion and the visit --------------------------------------------

    async def on_strategy(self, result: StrategyDiscussionResult) -> None:
        state = self._state
        state.strategy_outcome = result.outcome
        state.milestones[Milestone.strategy_held] = result.held_at
        self.case.note(
            workflow.now(), "strategy_discussion_held", f"outcome {result.outcome.value}"
        )
        if Milestone.child_seen in state.milestones:
            await self._after_seen()  # immediate protection: the child was seen first
        elif self.case.open_of(TaskKind.visit):
            state.stage = Stage.visit  # immediate protection: the visit is already open
        elif result.outcome is StrategyOutcome.nfa:
            await self.ending.finish()
        else:
            await self.visits.open(result.held_at, result.outcome.value)

    async def on_visit(self, task: TrackedTask, result: VisitResult) -> None:
        if await self.visits.on_visit(task, result):
            if self.case.open_of(TaskKind.strategy_discussion):
                self._state.stage = Stage.strategy_discussion  # still to be held
            else:
                await self._after_seen()

    async def _after_seen(self) -> None:
        """The child is seen: an assessment or section 47 case goes to the receiving team."""
        if self.handover.needed():
            await self.handover.begin()
        else:
            await self.ending.finish()
