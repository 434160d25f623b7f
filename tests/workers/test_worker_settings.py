"""The worker's tuning settings: a worker running workflow code outside the sandbox (the setting
that saves CPU) works a case through exactly as the sandboxed one does, and its histories replay
in the sandbox, as CI replays them."""

from __future__ import annotations

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner

from core.settings import Settings
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.workflows.scenarios import SCENARIOS
from workers.replay import replay_all
from workers.worker import build_worker


async def test_a_worker_without_the_sandbox_closes_a_case_that_replays_in_the_sandbox(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    settings = Settings(
        worker_sandbox=False,
        worker_max_cached_workflows=10,
        payload_keys=TEST_PAYLOAD_KEYS,
        dev_mode=True,
    )
    async with build_worker(time_skipping_env.client, pool, task_queue, settings=settings) as w:
        case = await SCENARIOS["outcome-strategy-section-47"](time_skipping_env, task_queue)
        summary = await case.handle.result()
    config = w.config()
    assert isinstance(config.get("workflow_runner"), UnsandboxedWorkflowRunner)
    assert config.get("max_cached_workflows") == 10
    assert summary.child_seen and summary.strategy_outcome == "section_47"

    outcomes = await replay_all([await case.handle.fetch_history()])
    assert [o.failure for o in outcomes] == [None]
