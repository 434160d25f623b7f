"""Building and running the worker that hosts the project's workflows and activities."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from frontdoor.activities.audit import AuditActivities
from frontdoor.activities.case import CaseActivities
from frontdoor.activities.deadlines import compute_due
from frontdoor.logs import get_logger
from frontdoor.settings import Settings
from frontdoor.store.pool import create_pool
from frontdoor.workers.temporal import connect, ensure_search_attributes
from frontdoor.workflows.referral import ReferralWorkflow

log = get_logger(__name__)

# Re-importing pydantic models on every workflow run costs several times the CPU: the domain is
# pure, so the sandbox may share it (and pydantic) with the worker.
PASSTHROUGH_MODULES = ("frontdoor.domain", "pydantic", "pydantic_core", "annotated_types")

WORKFLOWS: Sequence[type] = (ReferralWorkflow,)


def sandbox_runner() -> SandboxedWorkflowRunner:
    """The workflow runner every worker and replayer of the project uses."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def activities_for(pool: asyncpg.Pool) -> list[Callable[..., Any]]:
    """Every activity the workflows call, bound to the worker's pool."""
    audit = AuditActivities(pool)
    case = CaseActivities(pool)
    return [
        audit.record_audit_event,
        case.register_referral,
        case.open_task,
        case.close_task,
        case.escalate,
        case.notify,
        case.record_progress,
        compute_due,
    ]


def build_worker(
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    *,
    workflows: Sequence[type] = WORKFLOWS,
) -> Worker:
    """A worker for `task_queue` hosting the project's workflows and activities."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=activities_for(pool),
        workflow_runner=sandbox_runner(),
    )


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run until `stop` is set, then finish in-flight tasks and close the pool."""
    if settings.temporal_address is None or settings.database_url is None:
        raise RuntimeError(
            "frontdoor worker needs FRONTDOOR_TEMPORAL_ADDRESS and FRONTDOOR_DATABASE_URL "
            "(or run `frontdoor dev`, which starts embedded servers)"
        )
    client = await connect(settings.temporal_address, settings.temporal_namespace, settings)
    await ensure_search_attributes(client, settings.temporal_namespace)
    pool = await create_pool(settings.database_url)
    try:
        worker = build_worker(client, pool, settings.task_queue)
        async with worker:
            log.info("worker_started", task_queue=settings.task_queue)
            await stop.wait()
        log.info("worker_stopped")
    finally:
        await pool.close()
