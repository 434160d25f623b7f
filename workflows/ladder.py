"""Escalation ladders for open tasks: each open task is watched until it closes, and every rung
whose instant passes first is fired, in order.

A rung's instant comes from the task's window (its due time minus the instant its timescale counts
from), so when new information tightens a deadline the watcher recomputes the rungs still ahead;
rungs already fired are never fired again, and rungs already past fire at once, in order (which is
also what happens to a back-dated referral).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import workflow

from core.public import PublicText
from domain.policy import Rung
from workflows.case import TrackedTask

FireRung = Callable[[TrackedTask, Rung], Awaitable[None]]


async def watch(task: TrackedTask, fire: FireRung) -> None:
    """Fire `task`'s rungs at their instants until it closes or has no rung left."""
    while task.is_open:
        pending = [rung for rung in task.rungs if rung.level not in task.fired]
        if not pending:
            return
        rung = pending[0]
        seen = task.version
        wait = rung.at - workflow.now()
        if wait > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda seen=seen: task.version != seen,  # type: ignore[misc]
                    timeout=wait,
                    timeout_summary=PublicText(f"{task.view.kind} rung {rung.level}"),
                )
                continue  # closed or re-timed: look again
            except TimeoutError:
                pass
        if task.is_open and task.version == seen:
            task.fired.add(rung.level)
            await fire(task, rung)
