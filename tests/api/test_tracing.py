"""Traces from a staff request to the work it causes: the HTTP request's span and the update it
sends share a trace id, which the request's log lines carry; the workflow's handling of the
update, in the case's own trace with the activities it runs, links back to it. Nothing is
exported without an endpoint (spans are made for their ids only)."""

from __future__ import annotations

import io
import json

import asyncpg
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.testing import WorkflowEnvironment

from core.logs import configure_logging
from core.settings import LogFormat
from core.temporal import connect
from core.tracing import configure_tracing, tracing_interceptor
from tests.api.conftest import LiveApi, Staff, _api_client, api_settings
from tests.api.test_tasks import SCREENING, complete, take_in, wait_for_task
from workers.worker import build_worker


async def test_one_trace_runs_from_the_request_through_the_update_to_the_activities(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> None:
    settings = api_settings(dev_env, database_url, task_queue).model_copy(
        update={"log_format": LogFormat.JSON}
    )
    provider = configure_tracing(settings, "test")
    assert settings.otel_exporter_endpoint is None
    spans = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    traced = await connect(
        settings.temporal_address or "",
        settings.temporal_namespace,
        settings,
        interceptors=[tracing_interceptor()],
    )
    lines = io.StringIO()
    configure_logging(settings, stream=lines)
    try:
        async with (
            build_worker(traced, pool, task_queue, settings=settings),
            _api_client(settings) as client,
        ):
            api = LiveApi(client=client, staff=Staff(settings), pool=pool)
            referral_id = await take_in(api)
            task = await wait_for_task(api, api.staff.practitioner, referral_id, "screening")
            spans.clear()
            done = await complete(api, api.staff.manager, task["task_id"], SCREENING)
            assert done.status_code == 200, done.text
    finally:
        configure_logging(settings.model_copy(update={"log_format": LogFormat.AUTO}))
        finished = spans.get_finished_spans()
        spans.shutdown()

    request = next(s for s in finished if s.name == "POST /tasks/{task_id}/complete")
    trace_id = request.context.trace_id
    sent = next(s for s in finished if s.name == "StartWorkflowUpdate:complete_task")
    assert sent.context.trace_id == trace_id
    # Temporal's interceptor keeps a case's workflow spans in the case's own trace (begun by its
    # intake request) and links each update's handling to the request that sent it.
    handled = next(s for s in finished if s.name == "HandleUpdate:complete_task")
    assert trace_id in {link.context.trace_id for link in handled.links}
    writes = [s for s in finished if s.name == "RunActivity:apply_writes"]
    assert writes and {s.context.trace_id for s in writes} == {handled.context.trace_id}

    logged = [json.loads(line) for line in lines.getvalue().splitlines() if line.startswith("{")]
    completed = next(e for e in logged if e["event"] == "task_completed")
    assert completed["trace_id"] == format(trace_id, "032x")
