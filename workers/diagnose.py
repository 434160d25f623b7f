"""Answers to "why is this case stuck?" from what Temporal knows: a workflow task failing, an
activity retrying, a human task overdue past the top of its ladder, or a case that has gone quiet
while nobody is meant to be working on it. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import Client, WorkflowExecutionDescription

from core import search_attributes as sa
from domain.referral import workflow_id_for

OPEN_REFERRALS = 'WorkflowType = "ReferralWorkflow" AND ExecutionStatus = "Running"'
TOP_LEVEL = 3


@dataclass(frozen=True)
class StuckReason:
    workflow_id: str
    reason: str
    detail: str


def to_workflow_id(case: str) -> str:
    """A referral id (a UUID) or a workflow id, as engineers type either."""
    try:
        return workflow_id_for(UUID(case))
    except ValueError:
        return case


async def last_events(
    client: Client, workflow_id: str, run_id: str, count: int
) -> list[HistoryEvent]:
    """The newest `count` events of a run, newest first."""
    response = await client.workflow_service.get_workflow_execution_history_reverse(
        GetWorkflowExecutionHistoryReverseRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            maximum_page_size=count,
        )
    )
    return list(response.history.events)[:count]


async def _first_line(client: Client, failure: Failure) -> str:
    """The failure's message, decrypted: the data converter moves messages into an encrypted
    payload, so the server only holds "Encoded failure"."""
    if not failure.message:
        return ""
    copy = Failure()
    copy.CopyFrom(failure)
    error = await client.data_converter.decode_failure(copy)
    message = getattr(error, "message", None) or str(error)
    return str(message).splitlines()[0] if message else ""


async def _failure_of(client: Client, events: list[HistoryEvent]) -> str:
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            failure = event.workflow_task_failed_event_attributes.failure
            return await _first_line(client, failure) or "no message"
    return "no failure recorded yet"


async def diagnose(
    client: Client,
    description: WorkflowExecutionDescription,
    *,
    now: datetime,
    quiet_for: timedelta,
) -> list[StuckReason]:
    """Every reason this running case is not progressing (empty when it is healthy)."""
    wid, run_id = description.id, description.run_id
    raw = description.raw_description
    reasons: list[StuckReason] = []
    recent = await last_events(client, wid, run_id, 50)

    if raw.HasField("pending_workflow_task") and raw.pending_workflow_task.attempt > 1:
        reasons.append(
            StuckReason(
                wid,
                "workflow_task_failing",
                f"attempt {raw.pending_workflow_task.attempt}: {await _failure_of(client, recent)}",
            )
        )
    for pending in raw.pending_activities:
        if pending.attempt > 1:
            last = await _first_line(client, pending.last_failure)
            reasons.append(
                StuckReason(
                    wid,
                    "activity_retrying",
                    f"{pending.activity_type.name} attempt {pending.attempt}: {last}",
                )
            )
    attributes = description.typed_search_attributes
    level = attributes.get(sa.ESCALATION_LEVEL) or 0
    next_due = attributes.get(sa.NEXT_DUE_AT)
    if level >= TOP_LEVEL and next_due is not None and next_due <= now:
        reasons.append(
            StuckReason(
                wid,
                "overdue_past_top_level",
                f"escalated to level {level}; a task has been due since {next_due.isoformat()}",
            )
        )
    if next_due is None and recent:
        # Nobody is meant to be working on it, so nothing should be holding it up.
        last_at = recent[0].event_time.ToDatetime().replace(tzinfo=now.tzinfo)
        if now - last_at > quiet_for:
            reasons.append(
                StuckReason(
                    wid,
                    "no_progress",
                    f"no event since {last_at.isoformat()} and no task open for anyone",
                )
            )
    return reasons


async def find_stuck(
    client: Client, *, now: datetime, quiet_for: timedelta, query: str = OPEN_REFERRALS
) -> list[StuckReason]:
    found: list[StuckReason] = []
    async for execution in client.list_workflows(query):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        found += await diagnose(client, await handle.describe(), now=now, quiet_for=quiet_for)
    return found
