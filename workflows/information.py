"""New information about a child on an open case: into the case record, one review task to
re-rate however many items arrive, and a higher RAG that brings forward the deadlines still
ahead (nothing ever moves later)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Deadline, Milestone
    from domain.policy import Rag, Step
    from domain.record import EntryKind
    from domain.tasks import ReviewResult, TaskKind, Team
    from workflows.case import Case
    from workflows.events import InformationAdded
    from workflows.tasks import CaseTasks

MANAGERS = Team.managers.value
RAG_ORDER = {Rag.green: 0, Rag.amber: 1, Rag.red: 2}
# The tasks and case deadlines a higher RAG can bring forward, with the step that times them.
TIGHTENED_TASKS = {
    TaskKind.agency_check: Step.agency_check,
    TaskKind.decision: Step.mash_decision,
}


class NewInformation:
    """What new information, and its review, do to one case."""

    def __init__(self, case: Case, tasks: CaseTasks) -> None:
        self.case = case
        self.tasks = tasks

    async def on_added(self, event: InformationAdded) -> None:
        """Into the case record, and to the one open review task (opened if there is none):
        however many items arrive, one task and one notification."""
        now = workflow.now()
        self._record(event)
        waiting = self.case.open_of(TaskKind.review_new_information)
        if waiting:
            review_id = waiting[0].view.task_id
        else:
            review_id = await self.tasks.open(
                TaskKind.review_new_information,
                Team.practitioners,
                Step.review_new_information,
                now,
            )
            event.opened = [review_id]
        event.review_task_id = review_id

    def after_close(self, event: InformationAdded) -> None:
        """Information accepted just before the case closed: recorded, never dropped."""
        self._record(event)

    def _record(self, event: InformationAdded) -> None:
        now, info = workflow.now(), event.info
        self.case.information_items += 1
        key = f"information/{self.case.information_items}"
        self.case.note(now, "information_added", f"item {self.case.information_items}")
        writer = self.tasks.writer
        writer.record_entry(
            EntryKind.information, key, info.actor, now, {"source": info.source, "text": info.text}
        )
        writer.record("information_added", key, info.actor, now)

    async def on_review(self, result: ReviewResult) -> None:
        state = self.case.state
        rag = result.rag
        self.case.note(
            workflow.now(), "information_reviewed", f"RAG {rag.value if rag else 'kept'}"
        )
        if rag is None or state.rag is None or rag == state.rag:
            return
        raised = RAG_ORDER[rag] > RAG_ORDER[state.rag]
        state.rag = rag
        if raised:
            await self._tighten(rag)

    async def _tighten(self, rag: Rag) -> None:
        """A higher RAG brings forward the deadlines still ahead; nothing ever moves later."""
        case, state, writer = self.case, self.case.state, self.tasks.writer
        open_tasks = [
            t for t in case.tasks.values() if t.is_open and t.view.kind in TIGHTENED_TASKS
        ]
        undecided = Milestone.mash_decided not in state.milestones
        # The MASH decision first: the checks leave the manager the policy's margin before it.
        (decision,) = await writer.dues(
            case.due_input(Step.mash_decision, state.received_at, rag=rag, team=MANAGERS)
        )
        if undecided and Deadline.mash_decision in state.deadlines:
            decision_due = min(state.deadlines[Deadline.mash_decision], decision.due_at)
            state.deadlines[Deadline.mash_decision] = decision_due
        else:
            decision_due = decision.due_at
        dues = await writer.dues(  # no call at all when nothing is open
            *(
                case.due_input(
                    TIGHTENED_TASKS[t.view.kind],
                    t.view.counts_from,
                    rag=rag,
                    team=t.view.team,
                    mash_decision_due=decision_due
                    if t.view.kind is TaskKind.agency_check
                    else None,
                )
                for t in open_tasks
            )
        )
        for task, due in zip(open_tasks, dues, strict=True):
            if due.due_at < task.view.due_at:
                task.view.due_at = due.due_at
                task.rungs = due.rungs
                task.changed()
        checks = [t.view.due_at for t in open_tasks if t.view.kind is TaskKind.agency_check]
        if checks and Deadline.checks in state.deadlines:
            state.deadlines[Deadline.checks] = min(state.deadlines[Deadline.checks], max(checks))
        self.case.checks_version += 1
        writer.record(
            "deadlines_tightened",
            f"tightened/{self.case.revision}",
            None,
            workflow.now(),
            {"rag": rag.value},
        )
