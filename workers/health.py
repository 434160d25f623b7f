"""The worker's probes: alive while its event loop answers, ready while it polls its task queue
and Temporal answers (core/probes.py serves them on FRONTDOOR_WORKER_PROBE_PORT)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from core.probes import ReadinessCheck

_CHECK_TIMEOUT = timedelta(seconds=3)


def worker_readiness(client: Client, worker: Worker) -> ReadinessCheck:
    """Ready while `worker` runs (started, not shutting down) and Temporal says it is healthy."""

    async def ready() -> str | None:
        if not worker.is_running or worker.is_shutdown:
            return "the worker is not polling its task queue (starting or stopping)"
        try:
            healthy = await client.service_client.check_health(timeout=_CHECK_TIMEOUT)
        except Exception as err:
            return f"Temporal is unreachable ({type(err).__name__})"
        return None if healthy else "Temporal reports itself unhealthy"

    return ready
