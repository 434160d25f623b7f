"""The audit activity, run by a real worker against real PostgreSQL and Temporal."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import asyncpg
    import pytest
    from temporalio.testing import WorkflowEnvironment

    from activities.audit import AuditActivities
    from core.logs import configure_logging
    from core.settings import LogFormat, Settings
    from domain.audit import AuditEvent, AuditEventRecorded
    from store.audit import list_audit_events
    from workers.worker import build_worker


@workflow.defn
class RecordTwiceWorkflow:
    """Records the same audit step twice, as a retried activity would."""

    @workflow.run
    async def run(self, event: AuditEvent) -> list[AuditEventRecorded]:
        workflow.logger.info("recording_twice")
        results = []
        for _ in range(2):
            results.append(
                await workflow.execute_activity_method(
                    AuditActivities.record_audit_event,
                    event,
                    start_to_close_timeout=timedelta(seconds=10),
                )
            )
        return results


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(Settings(log_format=LogFormat.JSON), stream=stream)
    yield stream
    configure_logging(Settings(log_format=LogFormat.JSON))


async def test_recording_a_step_twice_writes_one_row_and_logs_with_the_case_ids(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    task_queue: str,
    captured_logs: io.StringIO,
) -> None:
    workflow_id = f"referral-{uuid.uuid4()}"
    event = AuditEvent(
        workflow_id=workflow_id,
        step_key="screening/escalation/1",
        kind="escalated",
        actor="system",
        occurred_at=datetime(2026, 5, 22, 17, tzinfo=UTC),
        details={"level": 1, "step": "screening"},
    )
    async with build_worker(
        time_skipping_env.client, pool, task_queue, workflows=[RecordTwiceWorkflow]
    ):
        first, second = await time_skipping_env.client.execute_workflow(
            RecordTwiceWorkflow.run, event, id=workflow_id, task_queue=task_queue
        )

    assert first.created and not second.created
    assert first.event_id == second.event_id
    async with pool.acquire() as conn:
        assert await list_audit_events(conn, workflow_id) == [event]

    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    activity_line = next(line for line in lines if line["event"] == "audit_event_recorded")
    assert activity_line["workflow_id"] == workflow_id
    assert activity_line["activity_type"] == "record_audit_event"
    workflow_line = next(line for line in lines if line["event"] == "recording_twice")
    assert workflow_line["workflow_id"] == workflow_id
    assert workflow_line["run_id"]
