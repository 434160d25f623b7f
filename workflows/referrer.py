"""The referrer loop: the referrer acknowledged within a working day of receipt and later told
the outcome, and the partners whose checks were asked told the outcome (codes only).

Acknowledging and telling the referrer are tasks someone completes, saying how and when it
really happened: the workflow never stamps them done. A referrer the front door cannot reach
(anonymous, or no phone or email given) gets neither task, and the case says so.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Deadline, Milestone
    from domain.policy import DecisionOutcome, Step
    from domain.records import ComputeDueResult
    from domain.tasks import (
        AcknowledgementResult,
        ReferrerFeedbackResult,
        TaskKind,
        Team,
    )
    from workflows.case import Case
    from workflows.tasks import CaseTasks

REFERRER_TASKS = (TaskKind.acknowledgement, TaskKind.referrer_feedback)


class ReferrerLoop:
    """The referrer's acknowledgement and feedback, and the partners' outcome notices."""

    def __init__(self, case: Case, tasks: CaseTasks) -> None:
        self.case = case
        self.tasks = tasks

    @property
    def reachable(self) -> bool:
        return self.case.input.details.referrer_reachable

    def outstanding(self) -> bool:
        """Whether the referrer still has to be acknowledged or told the outcome."""
        return any(self.case.open_of(kind) for kind in REFERRER_TASKS)

    async def acknowledge(self, received_at: datetime, due: ComputeDueResult) -> None:
        """The acknowledgement task, due one working day from receipt."""
        if not self.reachable:
            self.case.note(workflow.now(), "referrer_not_reachable", "no acknowledgement")
            return
        self.case.state.deadlines[Deadline.acknowledgement] = due.due_at
        await self.tasks.open(
            TaskKind.acknowledgement,
            Team.practitioners,
            Step.acknowledgement,
            received_at,
            due=due,
        )

    async def tell_outcome(self, outcome: DecisionOutcome, now: datetime) -> None:
        """The outcome is known: the referrer is to be told (a task), the partners are told."""
        self._tell_partners(outcome, now)
        if not self.reachable or self.case.of_kind(TaskKind.referrer_feedback):
            return
        due = await self.tasks.writer.due(
            Step.referrer_feedback, now, team=Team.practitioners.value
        )
        self.case.state.deadlines[Deadline.referrer_feedback] = due.due_at
        await self.tasks.open(
            TaskKind.referrer_feedback, Team.practitioners, Step.referrer_feedback, now, due=due
        )

    def _tell_partners(self, outcome: DecisionOutcome, now: datetime) -> None:
        for task in self.case.of_kind(TaskKind.agency_check):
            agency = task.view.agency
            if agency is None:
                continue
            self.tasks.writer.notify(
                f"check_outcome/{task.view.task_id}/{outcome.value}",
                "check_outcome",
                task.view.team,
                {"outcome": outcome.value, "agency": agency.value},
                now,
            )

    def on_done(self, result: AcknowledgementResult | ReferrerFeedbackResult) -> None:
        """The referrer acknowledged or told: when it happened, as the member of staff says."""
        milestones = self.case.state.milestones
        if isinstance(result, AcknowledgementResult):
            milestones[Milestone.acknowledged] = result.acknowledged_at
            self.case.note(workflow.now(), "referrer_acknowledged", result.method.value)
        else:
            milestones[Milestone.referrer_told] = result.told_at
            self.case.note(workflow.now(), "referrer_told", result.method.value)
