"""After the visit: the handover to the receiving team and the clocks that follow.

Assessment and section 47 cases go to the `handover` stage once the child is seen: the receiving
team accepts the case (one working day), then records the assessment (due 45 working days from
the referral) and, for a section 47 enquiry, its outcome and the initial child protection
conference (due 15 working days from the strategy discussion that started the enquiry). Each
task is watched by the escalation ladder until the team records it.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Deadline, Milestone, Stage
    from domain.policy import DecisionOutcome, Step, StrategyOutcome
    from domain.records import ComputeDueResult
    from domain.tasks import (
        AssessmentCompletedResult,
        ChildProtectionConferenceResult,
        HandoverResult,
        TaskKind,
        Team,
    )
    from workflows.case import Case
    from workflows.tasks import CaseTasks

RECEIVING = Team.receiving.value


class Handover:
    """The receiving team's part of one case."""

    def __init__(self, case: Case, tasks: CaseTasks) -> None:
        self.case = case
        self.tasks = tasks
        self._assessment_due: ComputeDueResult | None = None
        self._icpc_due: ComputeDueResult | None = None

    def needed(self) -> bool:
        """Whether the case goes on to a receiving team once the child is seen: an assessment
        (decided at the front door or by the strategy discussion) or a section 47 enquiry."""
        state = self.case.state
        if state.strategy_outcome is not None:
            return state.strategy_outcome is not StrategyOutcome.nfa
        return state.outcome is DecisionOutcome.assessment

    @property
    def section_47(self) -> bool:
        return self.case.state.strategy_outcome is StrategyOutcome.section_47

    async def begin(self) -> None:
        """The handover task, and the assessment's and conference's deadlines, in one go."""
        now, state, writer = workflow.now(), self.case.state, self.tasks.writer
        state.stage = Stage.handover
        referral_at = state.referral_at or state.received_at
        wanted = [
            self.case.due_input(Step.handover, now, team=RECEIVING),
            self.case.due_input(Step.assessment, referral_at, team=RECEIVING),
        ]
        held = state.milestones.get(Milestone.strategy_held)
        if self.section_47 and held is not None:
            wanted.append(self.case.due_input(Step.icpc, held, team=RECEIVING))
        handover, assessment, *icpc = await writer.dues(*wanted)
        state.deadlines[Deadline.handover] = handover.due_at
        state.deadlines[Deadline.assessment] = assessment.due_at
        self._assessment_due = assessment
        if icpc:
            state.deadlines[Deadline.icpc] = icpc[0].due_at
            self._icpc_due = icpc[0]
        self.case.note(now, "handover", "to the receiving team")
        await self.tasks.open(TaskKind.handover, RECEIVING, Step.handover, now, due=handover)

    async def on_handover(self, result: HandoverResult) -> None:
        """Accepted: the receiving team's assessment (and conference) tasks open."""
        state = self.case.state
        state.milestones[Milestone.handed_over] = result.accepted_at
        self.case.note(workflow.now(), "handover_accepted")
        referral_at = state.referral_at or state.received_at
        await self.tasks.open(
            TaskKind.assessment_completed,
            RECEIVING,
            Step.assessment,
            referral_at,
            due=self._assessment_due,  # None in a run that continued the case: computed again
        )
        held = state.milestones.get(Milestone.strategy_held)
        if self.section_47 and held is not None:
            await self.tasks.open(
                TaskKind.child_protection_conference,
                RECEIVING,
                Step.icpc,
                held,
                due=self._icpc_due,
            )

    def on_assessment(self, result: AssessmentCompletedResult) -> bool:
        """Recorded; True once the receiving team has nothing left to record."""
        state = self.case.state
        state.assessment_outcome = result.outcome
        state.milestones[Milestone.assessment_completed] = result.completed_at
        self.case.note(workflow.now(), "assessment_completed", result.outcome.value)
        return self.done()

    def on_conference(self, result: ChildProtectionConferenceResult) -> bool:
        """The section 47 outcome and the conference; True once nothing is left to record."""
        state = self.case.state
        state.section_47_outcome = result.section_47_outcome
        state.conference_outcome = result.conference_outcome
        if result.held_at is not None:
            state.milestones[Milestone.conference_held] = result.held_at
        self.case.note(workflow.now(), "section_47_outcome", result.section_47_outcome.value)
        return self.done()

    def done(self) -> bool:
        return not self.case.open_of(TaskKind.assessment_completed) and not self.case.open_of(
            TaskKind.child_protection_conference
        )
