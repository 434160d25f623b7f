"""A stopped worker is noticed: `frontdoor stuck` says first that no worker is taking the task
queue's tasks, and a staff completion answers 503 within the API's deadline instead of hanging;
once a worker is back, both recover and the retried completion (same Idempotency-Key) applies."""

from __future__ import annotations

import asyncio
import json
import time

import asyncpg
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import LiveApi, Staff, _api_client, api_settings
from tests.api.test_tasks import SCREENING, complete, take_in, wait_for_task
from tests.cli.commands import frontdoor
from tests.conftest import TEST_PAYLOAD_KEYS
from workers.worker import build_worker

DEADLINE = 3.0


def _cli_env(dev_env: WorkflowEnvironment, database_url: str, task_queue: str) -> dict[str, str]:
    return {
        "FRONTDOOR_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "FRONTDOOR_DATABASE_URL": database_url,
        "FRONTDOOR_TASK_QUEUE": task_queue,
        "FRONTDOOR_LOG_LEVEL": "WARNING",
        "FRONTDOOR_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS.get_secret_value(),
    }


async def _stuck(env: dict[str, str]) -> tuple[list[dict[str, str]], str]:
    code, output = await frontdoor("stuck", "--json", env=env)
    assert code == 0, output
    rows = json.loads(output)
    code, text = await frontdoor("stuck", env=env)
    assert code == 0, text
    return rows, text


async def test_a_stopped_worker_is_named_and_staff_get_503_until_it_is_back(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> None:
    settings = api_settings(dev_env, database_url, task_queue).model_copy(
        update={"api_workflow_deadline_seconds": DEADLINE}
    )
    cli = _cli_env(dev_env, database_url, task_queue)
    async with _api_client(settings) as client:
        api = LiveApi(client=client, staff=Staff(settings), pool=pool)
        worker = build_worker(dev_env.client, pool, task_queue, settings=settings)
        async with worker:
            referral_id = await take_in(api)
            task = await wait_for_task(api, api.staff.practitioner, referral_id, "screening")
        # The worker has stopped.

        started = time.monotonic()
        refused = await complete(api, api.staff.manager, task["task_id"], SCREENING, key="k-1")
        waited = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert waited < DEADLINE + 2
        error = refused.json()["error"]
        assert error["code"] == "unavailable"
        assert "worker" in error["message"] and "same Idempotency-Key" in error["message"]
        assert error["details"] == [{"part": "worker"}]

        deadline = time.monotonic() + 60
        while True:
            rows, text = await _stuck(cli)
            missing = [r for r in rows if r["reason"] == "no_worker"]
            if missing or time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
        assert missing, rows
        assert missing[0]["workflow_id"] == f"task-queue/{task_queue}"
        first_line = text.splitlines()[0]
        assert first_line.startswith("no_worker: no worker is taking tasks from task queue")
        assert task_queue in first_line

        async with build_worker(dev_env.client, pool, task_queue, settings=settings):
            retried = await complete(api, api.staff.manager, task["task_id"], SCREENING, key="k-1")
            assert retried.status_code == 200, retried.text
            assert retried.json()["stage"] == "checks"
            # The server's backlog figures are approximate and refreshed every few seconds.
            recovered_by = time.monotonic() + 60
            while True:
                rows, text = await _stuck(cli)
                missing = [r for r in rows if r["reason"] == "no_worker"]
                if not missing or time.monotonic() > recovered_by:
                    break
                await asyncio.sleep(2)
            assert not missing, rows
