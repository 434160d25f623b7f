"""A case's tasks: opening and closing them, and the escalation ladder that watches each one.

`CaseTasks` owns the case's writer (the only code that calls activities) and the watchers it
starts: a task is watched from the moment its inbox row is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Deadline, EscalationView, TaskView
    from domain.policy import Rag, Role, Rung, Step
    from domain.records import ComputeDueResult
    from domain.tasks import Agency, TaskKind, TaskStatus
    from workflows.case import Case, TrackedTask
    from workflows.ladder import watch
    from workflows.writer import CaseWriter

ROLE_FOR_LEVEL = {1: Role.team_manager, 2: Role.service_manager, 3: Role.head_of_service}


class CaseTasks:
    """Opens, closes and watches the tasks of one case."""

    def __init__(self, case: Case, publish: Callable[[], None]) -> None:
        self.case = case
        self.writer = CaseWriter(case, on_written=self.watch)
        self.watchers: list[asyncio.Task[None]] = []
        self._publish = publish

    def spawn(self, watcher: Coroutine[Any, Any, None]) -> None:
        """Run `watcher` alongside the case; the workflow waits for every one before it ends."""
        self.watchers.append(asyncio.create_task(watcher))

    async def open(
        self,
        kind: TaskKind,
        team: str,
        step: Step,
        counts_from: datetime,
        *,
        agency: Agency | None = None,
        rag: Rag | None = None,
        due: ComputeDueResult | None = None,
        attempt: int = 1,
    ) -> str:
        if due is None:
            due = await self.writer.due(step, counts_from, rag=rag, team=str(team))
        now, state = workflow.now(), self.case.state
        view = TaskView(
            task_id=str(workflow.uuid4()),
            kind=kind,
            team=team,
            agency=agency,
            opened_at=now,
            counts_from=counts_from,
            due_at=due.due_at,
            attempt=attempt,
            earlier_referrals=self.case.state.earlier_referrals
            if kind is TaskKind.screening
            else [],
        )
        if kind is TaskKind.screening:
            state.deadlines[Deadline.screening] = due.due_at
        task = self.case.add_task(view, due.rungs)
        self.case.note(now, "task_opened", f"{kind.value}{f' ({agency.value})' if agency else ''}")
        self.writer.task_opened(task)
        return view.task_id

    def close(self, task: TrackedTask, status: TaskStatus) -> None:
        self.writer.task_closed(task, status, workflow.now())

    def watch(self, task: TrackedTask) -> None:
        self.spawn(watch(task, self._fire))

    async def _fire(self, task: TrackedTask, rung: Rung) -> None:
        reason = f"{task.view.kind.value} due {task.view.due_at.isoformat()}" + (
            " is near" if rung.level == 0 else " has passed"
        )
        await self._escalate(task, rung.level, rung.role, rung.at, reason)

    async def escalate_now(self, task: TrackedTask, level: int, reason: str) -> None:
        task.fired.update(range(level + 1))  # its ladder must not repeat these rungs
        await self._escalate(task, level, ROLE_FOR_LEVEL[level], workflow.now(), reason)

    async def _escalate(
        self, task: TrackedTask, level: int, role: Role, rung_at: datetime, reason: str
    ) -> None:
        now = workflow.now()
        self.case.raise_escalation(task, level)
        told = await self.writer.escalate(task, level, role, rung_at, now, reason)
        self.case.state.escalations.append(
            EscalationView(
                task_id=task.view.task_id,
                kind=task.view.kind,
                level=level,
                role=role,
                rung_at=rung_at,
                fired_at=now,
                reason=reason,
                told=told,
            )
        )
        self.case.note(now, "reminder" if level == 0 else "escalated", f"{reason}; told {told}")
        self._publish()
