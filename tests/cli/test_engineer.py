"""`frontdoor stuck`, `reset` and `describe` against the Temporal dev server, on cases made to
get stuck the ways real ones do."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
from temporalio.testing import WorkflowEnvironment

from domain.case import Stage
from domain.referral import ReferralInput
from domain.tasks import TaskKind
from store.pool import create_pool
from tests.cli.commands import frontdoor
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.workers.variants import BuggyBuild, CrashingBuild
from tests.workflows.driver import Case, referral_details
from workers.worker import build_worker
from workflows.referral import ReferralWorkflow


def _env(dev_env: WorkflowEnvironment, database_url: str) -> dict[str, str]:
    return {
        "FRONTDOOR_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "FRONTDOOR_DATABASE_URL": database_url,
        "FRONTDOOR_LOG_LEVEL": "WARNING",
        "FRONTDOOR_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS.get_secret_value(),
    }


async def _start(dev_env: WorkflowEnvironment, task_queue: str) -> Case:
    referral = ReferralInput(referral_id=uuid.uuid4(), details=referral_details(datetime.now(UTC)))
    handle = await dev_env.client.start_workflow(
        ReferralWorkflow.run, referral, id=referral.workflow_id, task_queue=task_queue
    )
    return Case(dev_env, handle)


async def _stuck_until(env: dict[str, str], workflow_id: str, reason: str) -> dict[str, str]:
    for _ in range(60):
        code, output = await frontdoor("stuck", "--json", env=env)
        assert code == 0, output
        rows = [r for r in json.loads(output) if r["workflow_id"] == workflow_id]
        for row in rows:
            if row["reason"] == reason:
                return dict(row)
        await asyncio.sleep(0.5)
    raise AssertionError(f"{workflow_id} never reported as {reason}")


async def test_stuck_reports_an_activity_that_keeps_failing(
    dev_env: WorkflowEnvironment, postgres_server_dsn: str, database_url: str, task_queue: str
) -> None:
    # The worker's database is gone (as if PostgreSQL were stopped): every write fails.
    gone = postgres_server_dsn.replace("/postgres", "/no_such_database")
    broken_pool = await create_pool(gone, min_size=0)
    try:
        async with build_worker(dev_env.client, broken_pool, task_queue):
            case = await _start(dev_env, task_queue)
            row = await _stuck_until(
                _env(dev_env, database_url), case.handle.id, "activity_retrying"
            )
            # describe shows the failure decrypted, not as "Encoded failure".
            code, described = await frontdoor(
                "describe", case.handle.id, env=_env(dev_env, database_url)
            )
            await case.handle.terminate("test over")
    finally:
        await broken_pool.close()
    assert row["detail"].startswith("register_referral attempt ")
    assert "no_such_database" in row["detail"]
    assert code == 0, described
    activity = next(line for line in described.splitlines() if line.startswith("activity"))
    assert "register_referral attempt" in activity and "no_such_database" in activity


async def test_stuck_reports_a_failing_workflow_task_with_its_error(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> None:
    async with build_worker(dev_env.client, pool, task_queue, workflows=[CrashingBuild]):
        case = await _start(dev_env, task_queue)
        row = await _stuck_until(
            _env(dev_env, database_url), case.handle.id, "workflow_task_failing"
        )
        await case.handle.terminate("test over")
    assert "bug: cannot read the policy" in row["detail"]
    assert row["detail"].startswith("attempt ")


async def test_reset_reruns_a_case_failed_by_a_bug_once_the_fix_is_deployed(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> None:
    env = _env(dev_env, database_url)
    async with build_worker(dev_env.client, pool, task_queue, workflows=[BuggyBuild]):
        case = await _start(dev_env, task_queue)
        failed = await case.handle.describe()
        for _ in range(100):
            if failed.status is not None and failed.status.name == "FAILED":
                break
            await asyncio.sleep(0.1)
            failed = await case.handle.describe()
        assert failed.status is not None and failed.status.name == "FAILED"

    code, output = await frontdoor("reset", case.handle.id, env=env)
    assert code != 0 and "--reason" in output  # a reason is required

    # The fix is deployed (the current code), then the case is reset onto it.
    async with build_worker(dev_env.client, pool, task_queue):
        code, output = await frontdoor(
            "reset", case.handle.id, "--reason", "fixed the screening bug", "--by", "eng.one",
            env=env,
        )  # fmt: skip
        assert code == 0, output
        new_run = output.strip().splitlines()[-1]
        assert new_run != failed.run_id
        resumed = Case(dev_env, dev_env.client.get_workflow_handle_for(
            ReferralWorkflow.run, case.handle.id, run_id=new_run))  # fmt: skip
        state = await resumed.wait_for(lambda s: any(t.kind is TaskKind.screening for t in s.tasks))
        assert state.stage is Stage.screening

        code, described = await frontdoor("describe", case.handle.id, env=env)
        assert code == 0, described
        assert f"run {new_run}" in described and "/history" in described
        assert '"stage": "screening"' in described
        await resumed.handle.terminate("test over")

    async with pool.acquire() as conn:
        audit = await conn.fetchrow(
            "SELECT actor, details FROM audit_event WHERE workflow_id = $1 AND kind = 'case_reset'",
            case.handle.id,
        )
    assert audit is not None and audit["actor"] == "eng.one"
    details = json.loads(audit["details"])
    assert details["reason"] == "fixed the screening bug" and details["new_run_id"] == new_run
