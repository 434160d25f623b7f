"""The multi-agency checks' window and the MASH decision it leads to: the decision opens when
every check is in or the checks are due, whichever is first (at once for immediate risk)."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.public import PublicText
    from domain.case import Deadline, Stage
    from domain.policy import Step
    from domain.tasks import TaskKind, Team
    from workflows.case import Case
    from workflows.events import CaseEvent, ChecksWindowClosed
    from workflows.tasks import CaseTasks


class Checks:
    """The checks of one case, and the opening of its decision."""

    def __init__(self, case: Case, tasks: CaseTasks, events: deque[CaseEvent]) -> None:
        self.case = case
        self.tasks = tasks
        self.events = events

    def watch_window(self) -> None:
        """Watch the checks' window (again, in a run that continued the case)."""
        self.tasks.spawn(self._watch_window())

    async def _watch_window(self) -> None:
        """Open the decision when every check is in or the checks are due, whichever is first."""
        while True:
            seen = self.case.checks_version
            wait = self.case.state.deadlines[Deadline.checks] - workflow.now()
            if self.case.all_checks_in() or wait <= timedelta(0):
                break
            try:
                await workflow.wait_condition(
                    lambda seen=seen: self.case.checks_version != seen,  # type: ignore[misc]
                    timeout=wait,
                    timeout_summary=PublicText("checks due"),
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
        self.case.state.stage = Stage.decision
        known = self.case.decision_due
        await self.tasks.open(
            TaskKind.decision,
            Team.managers,
            Step.mash_decision,
            self.case.state.received_at,
            rag=self.case.state.rag,
            due=known[1] if known and known[0] == self.case.state.rag else None,
        )
        self.case.refresh_missing_checks()
