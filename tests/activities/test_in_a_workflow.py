"""The case activities run by a real worker against real PostgreSQL and Temporal, as a workflow
calls them: a step written twice (as a retried activity would) lands once, and both the
workflow's and the activity's log lines carry the case's ids."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import asyncpg
    from temporalio.testing import WorkflowEnvironment

    from activities.case import CaseActivities
    from domain.audit import AuditEvent
    from domain.case import CaseProgress, Stage
    from domain.records import ApplyWritesInput, ApplyWritesResult, RecordProgressInput
    from store.audit_event import list_audit_events
    from workers.worker import build_worker


@workflow.defn
class WriteTwiceWorkflow:
    """Writes the same step twice, as a retried activity would."""

    @workflow.run
    async def run(self, step: ApplyWritesInput) -> list[ApplyWritesResult]:
        workflow.logger.info("writing_twice")
        return [
            await workflow.execute_activity_method(
                CaseActivities.apply_writes, step, start_to_close_timeout=timedelta(seconds=10)
            )
            for _ in range(2)
        ]


async def test_writing_a_step_twice_writes_one_row_and_logs_with_the_case_ids(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    task_queue: str,
    captured_logs: io.StringIO,
) -> None:
    referral_id = uuid.uuid4()
    workflow_id = f"referral-{referral_id}"
    change = RecordProgressInput(
        workflow_id=workflow_id,
        referral_id=referral_id,
        step_key="screening/escalation/1",
        audit_kind="escalated",
        actor="system",
        occurred_at=datetime(2026, 5, 22, 17, tzinfo=UTC),
        details={"level": 1, "step": "screening"},
        progress=CaseProgress(revision=1, stage=Stage.screening),
    )
    step = ApplyWritesInput(workflow_id=workflow_id, writes=[change])
    async with build_worker(
        time_skipping_env.client, pool, task_queue, workflows=[WriteTwiceWorkflow]
    ):
        first, second = await time_skipping_env.client.execute_workflow(
            WriteTwiceWorkflow.run, step, id=workflow_id, task_queue=task_queue
        )

    assert first.told == second.told == [None]
    async with pool.acquire() as conn:
        assert await list_audit_events(conn, workflow_id) == [
            AuditEvent(
                workflow_id=workflow_id,
                step_key="screening/escalation/1",
                kind="escalated",
                actor="system",
                occurred_at=change.occurred_at,
                details={"level": 1, "step": "screening"},
            )
        ]

    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    recorded = [line for line in lines if line["event"] == "progress_recorded"]
    assert [line["new_row"] for line in recorded] == [True, False]
    assert recorded[0]["workflow_id"] == workflow_id
    assert recorded[0]["activity_type"] == "apply_writes"
    workflow_line = next(line for line in lines if line["event"] == "writing_twice")
    assert workflow_line["workflow_id"] == workflow_id
    assert workflow_line["run_id"]
