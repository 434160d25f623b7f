"""Building and running the worker that hosts the project's workflows and activities."""

from __future__ import annotations

import asyncio
import compileall
import contextlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

import asyncpg
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkerDeploymentConfig
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.case import CaseActivities
from activities.deadlines import compute_dues
from activities.record import CaseRecord
from core.logs import get_logger
from core.probes import ProbeServer
from core.sealing import record_sealer
from core.settings import Settings
from core.temporal import connect, ensure_search_attributes, metrics_runtime
from core.tracing import configure_tracing, tracing_interceptor
from store.case_record import PgCaseStore
from store.pool import create_pool
from store.roles import too_privileged
from workers.health import worker_readiness
from workers.summaries import ActivitySummaries
from workflows.referral import ReferralWorkflow

log = get_logger(__name__)

# Re-importing pydantic models on every workflow run costs several times the CPU: the domain is
# pure, so the sandbox may share it (and pydantic) with the worker. The workflow's helper modules
# hold no state of their own (only functions, classes and constants), so they are shared too; the
# sandbox still imports the workflow's own module afresh for every case.
PASSTHROUGH_MODULES = (
    "domain",
    "activities",
    "core.public",
    "core.search_attributes",
    "workflows.case",
    "workflows.events",
    "workflows.information",
    "workflows.ladder",
    "workflows.retries",
    "workflows.stages",
    "workflows.tasks",
    "workflows.validation",
    "workflows.writer",
    "pydantic",
    "pydantic_core",
    "annotated_types",
)

WORKFLOWS: Sequence[type] = (ReferralWorkflow,)
# The project's top-level packages, installed side by side (pyproject.toml's wheel packages).
PROJECT_PACKAGES = ("activities", "core", "domain", "workflows")


def cache_bytecode() -> None:
    """Write the project's bytecode if it is missing. The sandbox imports the workflow modules
    afresh for every case it starts or rebuilds; where bytecode is not written as modules load
    (PYTHONDONTWRITEBYTECODE, common in containers), each of those imports would compile their
    source again. Best effort: a read-only install (the image compiles at build) is left as is."""
    root = Path(__file__).resolve().parent.parent
    for package in PROJECT_PACKAGES:
        with contextlib.suppress(OSError):
            compileall.compile_dir(root / package, quiet=2)


def sandbox_runner() -> SandboxedWorkflowRunner:
    """The workflow runner every worker and replayer of the project uses."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def activities_for(pool: asyncpg.Pool, settings: Settings) -> list[Callable[..., Any]]:
    """Every activity the workflows call, bound to the case store over the worker's pool and
    sealing the case record with the settings' keys."""
    case = CaseActivities(PgCaseStore(pool), CaseRecord(record_sealer(settings)))
    return [case.register_referral, case.apply_writes, compute_dues]


class WorkerOptions(TypedDict):
    """The worker's cache size and slot counts (Worker's own argument names)."""

    max_cached_workflows: int
    max_concurrent_workflow_tasks: int
    max_concurrent_local_activities: int
    max_concurrent_workflow_task_polls: int


def worker_options(settings: Settings) -> WorkerOptions:
    """The worker's cache size and slot counts, from settings."""
    return {
        "max_cached_workflows": settings.worker_max_cached_workflows,
        "max_concurrent_workflow_tasks": settings.worker_max_concurrent_workflow_tasks,
        "max_concurrent_local_activities": settings.worker_max_concurrent_local_activities,
        "max_concurrent_workflow_task_polls": settings.worker_workflow_task_polls,
    }


# Cases run for weeks: pinned to the build they started on, each would hold its build's workers
# up until it closed, and no fix would reach it. Auto-upgrade moves every case to the current
# version at its next workflow task; patches and the replay tests keep that safe
# (docs/runbook.md, "Rolling out a new build").
VERSIONING_BEHAVIOR = VersioningBehavior.AUTO_UPGRADE


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """The worker's Worker Deployment version, if the settings name one; None: unversioned."""
    if settings.worker_deployment_name is None or settings.worker_build_id is None:
        return None
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(settings.worker_deployment_name, settings.worker_build_id),
        use_worker_versioning=True,
        default_versioning_behavior=VERSIONING_BEHAVIOR,
    )


def build_worker(
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    *,
    workflows: Sequence[type] = WORKFLOWS,
    settings: Settings | None = None,
) -> Worker:
    """A worker for `task_queue` hosting the project's workflows and activities."""
    tuning = settings or Settings()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=activities_for(pool, tuning),
        workflow_runner=sandbox_runner() if tuning.worker_sandbox else UnsandboxedWorkflowRunner(),
        # On stop, running activities (one case write each) get this long to finish before
        # they are cancelled; a cancelled write rolls back and is retried by the next worker.
        graceful_shutdown_timeout=timedelta(seconds=tuning.worker_graceful_shutdown_seconds),
        deployment_config=deployment_config(tuning),
        interceptors=[ActivitySummaries()],  # besides the client's (tracing)
        **worker_options(tuning),
    )


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run until `stop` is set, then finish in-flight tasks and close the pool."""
    if settings.temporal_address is None or settings.database_url is None:
        raise RuntimeError(
            "frontdoor worker needs FRONTDOOR_TEMPORAL_ADDRESS and FRONTDOOR_DATABASE_URL "
            "(or run `frontdoor dev`, which starts embedded servers)"
        )
    await asyncio.to_thread(cache_bytecode)
    runtime = None
    if settings.worker_metrics_port:
        try:
            runtime = metrics_runtime(settings.probe_host, settings.worker_metrics_port)
        except ValueError as err:  # the port is taken: run, unmeasured, and say so
            log.warning(
                "worker_metrics_unavailable", port=settings.worker_metrics_port, error=str(err)
            )
    configure_tracing(settings, "worker")
    client = await connect(
        settings.temporal_address,
        settings.temporal_namespace,
        settings,
        runtime=runtime,
        interceptors=[tracing_interceptor()],  # the worker takes it from its client
    )
    await ensure_search_attributes(client, settings.temporal_namespace)
    pool = await create_pool(settings.database_url)
    try:
        async with pool.acquire() as conn:
            privileged = await too_privileged(conn)
        if privileged is not None:
            # Outside `frontdoor dev` the worker should log in as a member of frontdoor_app
            # (docs/security.md); it still runs, as a single-role setup can.
            log.warning("database_login_too_privileged", login_is=privileged)
        worker = build_worker(client, pool, settings.task_queue, settings=settings)
        async with contextlib.AsyncExitStack() as probes:
            if settings.worker_probe_port:
                probe = ProbeServer(
                    settings.probe_host,
                    settings.worker_probe_port,
                    ready=worker_readiness(client, worker),
                )
                await probes.enter_async_context(probe.serving())
            async with worker:
                log.info(
                    "worker_started",
                    task_queue=settings.task_queue,
                    sandbox=settings.worker_sandbox,
                    deployment=settings.worker_deployment_name,
                    build_id=settings.worker_build_id,
                    **worker_options(settings),
                )
                await stop.wait()
                log.info("worker_stopping", grace_seconds=settings.worker_graceful_shutdown_seconds)
        log.info("worker_stopped")
    finally:
        await pool.close()
