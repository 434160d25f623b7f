"""The end of the front door's work, and of the case: the process is over when the decision,
the visit or the receiving team says so; the case closes once the referrer has been acknowledged
and told and the exploitation pathway's tasks are done (they outlive the decision, never
dropped)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Milestone, Stage
    from domain.exploitation import MaceActionResult, MaceResult, NrmResult
    from domain.tasks import (
        AcknowledgementResult,
        AssessmentCompletedResult,
        ChildProtectionConferenceResult,
        HandoverResult,
        ReferrerFeedbackResult,
        TaskStatus,
    )
    from workflows.case import Case
    from workflows.exploitation import EXPLOITATION_TASKS, ExploitationPathway
    from workflows.handover import Handover
    from workflows.referrer import REFERRER_TASKS, ReferrerLoop
    from workflows.tasks import CaseTasks

KEPT_OPEN = REFERRER_TASKS + EXPLOITATION_TASKS


class Ending:
    """How one case ends."""

    def __init__(
        self,
        case: Case,
        tasks: CaseTasks,
        referrer: ReferrerLoop,
        exploitation: ExploitationPathway,
        handover: Handover,
    ) -> None:
        self.case = case
        self.tasks = tasks
        self.referrer = referrer
        self.exploitation = exploitation
        self.handover = handover

    async def finish(self) -> None:
        """The front door's process is over: what is still open of it is cancelled, and the
        case closes once the referrer has been acknowledged and told (tasks, never stamps)."""
        now = workflow.now()
        for task in list(self.case.tasks.values()):
            if task.is_open and task.view.kind not in KEPT_OPEN:
                self.tasks.close(task, TaskStatus.cancelled)
        self.case.ending = True
        if self._outstanding():
            self.case.note(now, "awaiting", "the referrer or the exploitation pathway")
            return
        await self.close_case()

    def _outstanding(self) -> bool:
        return self.referrer.outstanding() or self.exploitation.outstanding()

    async def on_referrer_task(
        self, result: AcknowledgementResult | ReferrerFeedbackResult
    ) -> None:
        """The referrer acknowledged or told: the case closes if nothing else is left."""
        self.referrer.on_done(result)
        await self._close_if_done()

    async def on_exploitation_task(self, result: MaceResult | MaceActionResult | NrmResult) -> None:
        """The MACE discussion, an action or the NRM referral recorded."""
        match result:
            case MaceResult():
                await self.exploitation.on_mace(result)
            case MaceActionResult():
                self.exploitation.on_action(result)
            case NrmResult():
                self.exploitation.on_nrm(result)
        await self._close_if_done()

    async def _close_if_done(self) -> None:
        if self.case.ending and not self._outstanding():
            await self.close_case()

    async def on_receiving_team(
        self, result: HandoverResult | AssessmentCompletedResult | ChildProtectionConferenceResult
    ) -> None:
        """The receiving team's records; the front door's work ends with the last of them."""
        match result:
            case HandoverResult():
                await self.handover.on_handover(result)
            case AssessmentCompletedResult():
                if self.handover.on_assessment(result):
                    await self.finish()
            case ChildProtectionConferenceResult():
                if self.handover.on_conference(result):
                    await self.finish()

    async def close_case(self) -> None:
        now = workflow.now()
        for task in list(self.case.tasks.values()):
            if task.is_open:
                self.tasks.close(task, TaskStatus.cancelled)
        self.case.state.stage = Stage.closed
        self.case.state.milestones[Milestone.closed] = now
        outcome = self.case.state.outcome
        self.case.note(now, "closed", f"outcome {outcome.value if outcome else None}")
        self.tasks.writer.record(
            "case_closed", "closed", None, now, {"outcome": outcome.value if outcome else None}
        )
