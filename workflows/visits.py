"""The visit: the child is seen, or the next attempt opens at once and escalates (a visit with
no access is a risk signal, not a tick), with a police welfare check after the second."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Deadline, Milestone, Stage
    from domain.policy import Step
    from domain.records import ComputeDueResult
    from domain.tasks import Agency, TaskKind, Team, VisitResult, agency_team
    from workflows.case import Case, TrackedTask
    from workflows.tasks import CaseTasks

PRACTITIONERS = Team.practitioners.value


class Visits:
    """The visits of one case."""

    def __init__(self, case: Case, tasks: CaseTasks) -> None:
        self.case = case
        self.tasks = tasks

    async def open(
        self,
        counts_from: datetime,
        outcome: str,
        stage: Stage = Stage.visit,
        due: ComputeDueResult | None = None,
    ) -> None:
        self.case.state.stage = stage
        if due is None:
            due = await self.tasks.writer.due(
                Step.visit, counts_from, outcome=outcome, team=PRACTITIONERS
            )
        self.case.state.deadlines[Deadline.visit] = due.due_at
        await self.tasks.open(TaskKind.visit, Team.practitioners, Step.visit, counts_from, due=due)

    async def on_visit(self, task: TrackedTask, result: VisitResult) -> bool:
        """A visit recorded; True if the child was seen, else the next attempt is open."""
        now = workflow.now()
        if result.child_seen:
            self.case.state.milestones[Milestone.child_seen] = result.visited_at
            self.case.note(now, "child_seen", "seen alone" if result.seen_alone else "")
            return True
        attempt = task.view.attempt
        reason = f"visit attempt {attempt}: child not seen ({result.not_seen_reason})"
        self.case.note(now, "child_not_seen", reason)
        due = await self.tasks.writer.due(
            Step.visit_reattempt, result.visited_at, team=PRACTITIONERS
        )
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
            police = agency_team(Agency.police)
            welfare = await self.tasks.writer.due(Step.visit_reattempt, workflow.now(), team=police)
            await self.tasks.open(
                TaskKind.police_welfare_check,
                police,
                Step.visit_reattempt,
                workflow.now(),
                agency=Agency.police,
                due=welfare,
            )
        return False
