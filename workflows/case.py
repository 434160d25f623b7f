"""The case model: a referral's state as the workflow keeps it, pure and synchronous.

No Temporal calls and no clock of its own (callers pass `now`), so it is unit-tested without a
server. It holds the query's answer (`snapshot`), the closing summary, the read model's progress
(derived from the state, never a hand-kept copy) and the search attributes' values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.common import SearchAttributeUpdate

from core import search_attributes as sa
from domain.case import (
    MET_BY,
    CarriedCase,
    CarriedTask,
    CaseProgress,
    CaseState,
    Milestone,
    ReferralSummary,
    Stage,
    TaskView,
    TimelineEntry,
)
from domain.policy import Rag, Rung, Step
from domain.records import ComputeDueInput, ComputeDueResult
from domain.referral import ReferralInput
from domain.tasks import TaskKind, TaskStatus

# The live timeline keeps this many latest lines, so the query's answer stays small.
TIMELINE_LINES = 100
# The progress fields that are the case state's own (the rest the case model computes).
_STATE_FIELDS = frozenset(CaseProgress.model_fields) - {"revision", "next_due_at"}


@dataclass
class TrackedTask:
    """An open or closed task with what its watcher needs: the rungs and which have fired."""

    view: TaskView
    rungs: list[Rung]
    fired: set[int] = field(default_factory=set)
    # Bumped whenever the task closes or its deadline moves, to wake its watcher.
    version: int = 0
    # Shown to staff only once its inbox row is written, so nobody can act on it before.
    in_inbox: bool = False

    @property
    def is_open(self) -> bool:
        return self.view.status is TaskStatus.open

    def changed(self) -> None:
        self.version += 1


class Case:
    """One referral's state: the case fields, its tasks, and the revision of its progress."""

    def __init__(self, params: ReferralInput, workflow_id: str) -> None:
        self.input = params
        self.state = CaseState(
            referral_id=params.referral_id,
            workflow_id=workflow_id,
            policy_version=params.policy_version,
            received_at=params.details.received_at,
            recorded_at=params.recorded_at,
            stage=Stage.screening,
        )
        self.tasks: dict[str, TrackedTask] = {}
        self.revision = 0
        # Bumped when a check closes or the checks' deadline moves, to wake the checks window.
        self.checks_version = 0
        # Items of new information taken in so far (each one's key in the case record).
        self.information_items = 0
        # The decision's deadline as computed at screening, and under which RAG: reused when
        # the decision opens under the same RAG, instead of computed again.
        self.decision_due: tuple[Rag, ComputeDueResult] | None = None
        # Which run of the case this is (1, then one more each time it continues as new).
        self.runs = 1
        # The front door's process is over (decided, seen, handed over): the case closes once
        # the referrer has been acknowledged and told the outcome.
        self.ending = False
        self._published: tuple[Any, ...] | None = None
        if params.carried is not None:
            self._restore(params.carried)

    def _restore(self, carried: CarriedCase) -> None:
        self.state = carried.state
        self.tasks = {
            t.view.task_id: TrackedTask(
                view=t.view, rungs=t.rungs, fired=set(t.fired), in_inbox=t.in_inbox
            )
            for t in carried.tasks
        }
        self.revision = carried.revision
        self.checks_version = carried.checks_version
        self.information_items = carried.information_items
        if carried.decision_due_rag is not None and carried.decision_due_at is not None:
            due = ComputeDueResult(due_at=carried.decision_due_at, rungs=carried.decision_rungs)
            self.decision_due = (carried.decision_due_rag, due)
        self.runs = carried.runs + 1
        self.ending = carried.ending

    def carry(self) -> CarriedCase:
        """The case as this run leaves it, for the next run (continue-as-new)."""
        rag, due = self.decision_due if self.decision_due else (None, None)
        return CarriedCase(
            state=self.state.model_copy(deep=True),
            tasks=[
                CarriedTask(view=t.view, rungs=t.rungs, fired=sorted(t.fired), in_inbox=t.in_inbox)
                for t in self.tasks.values()
            ],
            revision=self.revision,
            checks_version=self.checks_version,
            information_items=self.information_items,
            decision_due_rag=rag,
            decision_due_at=due.due_at if due else None,
            decision_rungs=due.rungs if due else [],
            runs=self.runs,
            ending=self.ending,
        )

    # ---- tasks ----------------------------------------------------------------------------

    def add_task(self, view: TaskView, rungs: list[Rung]) -> TrackedTask:
        tracked = TrackedTask(view=view, rungs=rungs)
        self.tasks[view.task_id] = tracked
        return tracked

    def of_kind(self, kind: TaskKind) -> list[TrackedTask]:
        return [t for t in self.tasks.values() if t.view.kind is kind]

    def open_of(self, kind: TaskKind) -> list[TrackedTask]:
        return [t for t in self.of_kind(kind) if t.is_open]

    def all_checks_in(self) -> bool:
        return not self.open_of(TaskKind.agency_check)

    def refresh_missing_checks(self) -> None:
        """Show on the decision task which agencies have not answered yet."""
        missing = [t.view.agency for t in self.open_of(TaskKind.agency_check) if t.view.agency]
        for task in self.of_kind(TaskKind.decision):
            task.view.missing_checks = missing

    def open_dues(self) -> list[datetime]:
        return [t.view.due_at for t in self.tasks.values() if t.is_open]

    def due_input(
        self,
        step: Step,
        counts_from: datetime,
        *,
        rag: Rag | None = None,
        outcome: str | None = None,
        team: str | None = None,
        mash_decision_due: datetime | None = None,
        agreed_due: datetime | None = None,
    ) -> ComputeDueInput:
        """A deadline to ask for, under the policy edition the case started with, counted in
        the working pattern of `team` (the team that does the step)."""
        return ComputeDueInput(
            policy_version=self.state.policy_version,
            step=step,
            counts_from=counts_from,
            rag=rag,
            outcome=outcome,
            team=team,
            mash_decision_due=mash_decision_due,
            agreed_due=agreed_due,
        )

    # ---- what the case shows and records --------------------------------------------------

    def note(self, at: datetime, event: str, detail: str = "") -> None:
        """A line of the live timeline: codes and counts, never what staff wrote (that is in the
        case record), and only the latest lines (the record keeps the whole chronology)."""
        timeline = self.state.timeline
        timeline.append(TimelineEntry(at=at, event=event, detail=detail))
        del timeline[:-TIMELINE_LINES]

    def raise_escalation(self, task: TrackedTask, level: int) -> None:
        """A rung above the reminder raises the task's level and the case's highest."""
        if level > 0:
            task.view.escalation_level = max(task.view.escalation_level, level)
            self.state.escalation_level = max(self.state.escalation_level, level)

    def snapshot(self) -> CaseState:
        """The query's answer: the state with the tasks that are in the inbox."""
        return self.state.model_copy(
            update={"tasks": [t.view.model_copy() for t in self.tasks.values() if t.in_inbox]},
            deep=True,
        )

    def next_progress(self) -> CaseProgress:
        """The read model's row as the case stands, under a new revision."""
        self.revision += 1
        return CaseProgress(
            revision=self.revision,
            next_due_at=min(self.open_dues(), default=None),
            **self.state.model_dump(include=set(_STATE_FIELDS)),
        )

    def summary(self) -> ReferralSummary:
        deadlines, milestones = self.state.deadlines, self.state.milestones
        return ReferralSummary(
            referral_id=self.state.referral_id,
            outcome=self.state.outcome,
            strategy_outcome=self.state.strategy_outcome,
            milestones=dict(milestones),
            deadlines=dict(deadlines),
            deadlines_met={
                deadline: milestones[met] <= deadlines[deadline]
                for deadline, met in MET_BY.items()
                if deadline in deadlines and met in milestones
            },
            highest_escalation_level=self.state.escalation_level,
            child_seen=Milestone.child_seen in milestones,
        )

    def search_attribute_updates(self, now: datetime) -> list[SearchAttributeUpdate[Any]]:
        """The search attributes to upsert, or none if they have not changed since the last
        call (each upsert is a history event)."""
        dues = self.open_dues()
        next_due = min(dues, default=None)
        rag = self.state.rag
        values = (
            self.state.stage,
            rag,
            self.state.escalation_level,
            next_due,
            any(due <= now for due in dues),
            self.state.re_referral,
        )
        if values == self._published:
            return []
        self._published = values
        return [
            sa.STAGE.value_set(self.state.stage.value),
            sa.RAG.value_set(rag.value) if rag is not None else sa.RAG.value_unset(),
            sa.ESCALATION_LEVEL.value_set(self.state.escalation_level),
            sa.NEXT_DUE_AT.value_set(next_due)
            if next_due is not None
            else sa.NEXT_DUE_AT.value_unset(),
            sa.OVERDUE.value_set(values[4]),
            sa.RE_REFERRAL.value_set(self.state.re_referral),
        ]
