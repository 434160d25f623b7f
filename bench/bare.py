"""Bare workflows for the throughput benchmark: the same shapes as a referral, with nothing in
them (no database, no HTTP), to show what the server and SDK alone cost on this machine."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow


class Step(BaseModel):
    n: int


class Done(BaseModel):
    steps: int


@activity.defn
async def no_op(step: Step) -> Done:
    return Done(steps=step.n)


@workflow.defn
class BareWorkflow:
    """One no-op activity: the baseline."""

    @workflow.run
    async def run(self, step: Step) -> Done:
        return await workflow.execute_activity(
            no_op, step, start_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn
class BareLifecycle:
    """`n` human steps, each an activity to open, an Update to complete, an activity to close."""

    def __init__(self) -> None:
        self.completed = 0
        self.opened = 0

    @workflow.run
    async def run(self, step: Step) -> Done:
        for i in range(step.n):
            await workflow.execute_activity(
                no_op, Step(n=i), start_to_close_timeout=timedelta(seconds=10)
            )
            self.opened = i + 1
            await workflow.wait_condition(lambda i=i: self.completed > i)  # type: ignore[misc]
            await workflow.execute_activity(
                no_op, Step(n=i), start_to_close_timeout=timedelta(seconds=10)
            )
        return Done(steps=step.n)

    @workflow.query
    def opened_steps(self) -> int:
        return self.opened

    @workflow.update
    async def complete(self, step: Step) -> Done:
        await workflow.wait_condition(lambda: self.opened > step.n)
        self.completed = step.n + 1
        return Done(steps=self.completed)


@workflow.defn
class NoOpUpdates:
    """Answers Updates and does nothing else: the bare Update round trip."""

    def __init__(self) -> None:
        self.stop = False

    @workflow.run
    async def run(self, step: Step) -> Done:
        await workflow.wait_condition(lambda: self.stop)
        return Done(steps=step.n)

    @workflow.update
    async def poke(self, step: Step) -> Done:
        return Done(steps=step.n)

    @workflow.signal
    async def finish(self) -> None:
        self.stop = True
