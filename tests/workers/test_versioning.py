"""Worker Deployment versioning, on the dev server: a worker whose settings name a deployment
version polls as that version; once it is made current, a case runs on it, auto-upgrade; when a
new build is made current, the running case moves to it at its next workflow task, as
docs/runbook.md ("Rolling out a new build") says. Unset, the worker is unversioned."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from temporalio.api.enums.v1 import VersioningBehavior as VersioningBehaviorProto
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.workflows.driver import Case, screen_and_check, start_case
from workers.worker import build_worker, deployment_config


def _settings(deployment: str, build_id: str) -> Settings:
    return Settings(
        payload_keys=TEST_PAYLOAD_KEYS,
        dev_mode=True,
        worker_deployment_name=deployment,
        worker_build_id=build_id,
    )


async def set_current(client: Client, version: WorkerDeploymentVersion, within: float = 20) -> None:
    """What `temporal worker deployment set-current-version` does, once the server has seen the
    version's worker poll (until then it does not know the version)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            await client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(
                    namespace=client.namespace,
                    deployment_name=version.deployment_name,
                    build_id=version.build_id,
                    identity="test_versioning",
                )
            )
            return
        except RPCError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _running_on(case: Case) -> tuple[str, str, int]:
    info = (await case.handle.describe()).raw_description.workflow_execution_info.versioning_info
    version = info.deployment_version
    return version.deployment_name, version.build_id, info.behavior


def test_unset_the_worker_is_unversioned() -> None:
    assert deployment_config(Settings(payload_keys=TEST_PAYLOAD_KEYS)) is None


async def test_a_case_runs_on_the_current_version_and_moves_to_the_next_one(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    client = dev_env.client
    deployment = f"frontdoor-{uuid.uuid4().hex[:8]}"
    first, second = (WorkerDeploymentVersion(deployment, b) for b in ("build-1", "build-2"))
    auto_upgrade = VersioningBehaviorProto.VERSIONING_BEHAVIOR_AUTO_UPGRADE

    async with build_worker(client, pool, task_queue, settings=_settings(deployment, "build-1")):
        await set_current(client, first)
        case = await start_case(dev_env, task_queue)
        assert await _running_on(case) == (deployment, "build-1", auto_upgrade)

        # The next build: its workers start beside the old ones, then it is made current.
        async with build_worker(
            client, pool, task_queue, settings=_settings(deployment, "build-2")
        ):
            await set_current(client, second)
            described = await client.workflow_service.describe_worker_deployment(
                DescribeWorkerDeploymentRequest(
                    namespace=client.namespace, deployment_name=deployment
                )
            )
            routing = described.worker_deployment_info.routing_config
            assert routing.current_deployment_version.build_id == "build-2"

            # The running case's next workflow tasks (screening and checks done) run on build-2.
            await screen_and_check(case)
            assert await _running_on(case) == (deployment, "build-2", auto_upgrade)
