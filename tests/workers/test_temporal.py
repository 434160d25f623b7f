"""The Temporal fixtures reach real servers: workflows run, timers skip, attributes exist."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow

# The sandbox re-imports this module to run SleepWorkflow; the test machinery is passed through.
with workflow.unsafe.imports_passed_through():
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from core import search_attributes
    from workers.worker import sandbox_runner


class SleepInput(BaseModel):
    seconds: float


class SleepResult(BaseModel):
    started_at: datetime
    woke_at: datetime


@workflow.defn
class SleepWorkflow:
    """Sleeps on a durable timer and reports workflow time before and after."""

    @workflow.run
    async def run(self, params: SleepInput) -> SleepResult:
        started = workflow.now()
        await workflow.sleep(timedelta(seconds=params.seconds))
        return SleepResult(started_at=started, woke_at=workflow.now())


async def _run_sleep(env: WorkflowEnvironment, task_queue: str, seconds: float) -> SleepResult:
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[SleepWorkflow],
        workflow_runner=sandbox_runner(),
    ):
        return await env.client.execute_workflow(
            SleepWorkflow.run,
            SleepInput(seconds=seconds),
            id=f"test-sleep-{uuid.uuid4()}",
            task_queue=task_queue,
        )


async def test_one_day_timer_is_skipped_on_the_time_skipping_server(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    wall_start = time.monotonic()
    result = await _run_sleep(time_skipping_env, task_queue, seconds=86_400)
    wall = time.monotonic() - wall_start

    assert result.woke_at - result.started_at >= timedelta(days=1)
    assert result.woke_at - result.started_at < timedelta(days=1, seconds=5)
    # A real day would take 86,400 s; the server skipped it (typically in well under a second).
    assert wall < 30, f"the one-day timer took {wall:.1f}s of wall time"


async def test_a_trivial_workflow_runs_on_the_dev_server(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    result = await _run_sleep(dev_env, task_queue, seconds=0.1)

    assert result.woke_at > result.started_at


class AttributesResult(BaseModel):
    stage: str | None


@workflow.defn
class PublishAttributesWorkflow:
    """Publishes every project search attribute, as a referral does."""

    @workflow.run
    async def run(self) -> AttributesResult:
        workflow.upsert_search_attributes(
            [
                search_attributes.STAGE.value_set("screening"),
                search_attributes.RAG.value_set("amber"),
                search_attributes.ESCALATION_LEVEL.value_set(1),
                search_attributes.NEXT_DUE_AT.value_set(workflow.now()),
                search_attributes.OVERDUE.value_set(False),
                search_attributes.RE_REFERRAL.value_set(True),
            ]
        )
        return AttributesResult(
            stage=workflow.info().typed_search_attributes.get(search_attributes.STAGE)
        )


async def test_search_attributes_are_registered_on_both_servers(
    time_skipping_env: WorkflowEnvironment, dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    for env in (time_skipping_env, dev_env):
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[PublishAttributesWorkflow],
            workflow_runner=sandbox_runner(),
        ):
            handle = await env.client.start_workflow(
                PublishAttributesWorkflow.run,
                id=f"test-attributes-{uuid.uuid4()}",
                task_queue=task_queue,
            )
            assert (await handle.result()).stage == "screening"
            described = await handle.describe()
        published = described.typed_search_attributes
        assert published.get(search_attributes.RAG) == "amber"
        assert published.get(search_attributes.ESCALATION_LEVEL) == 1
        assert published.get(search_attributes.RE_REFERRAL) is True
