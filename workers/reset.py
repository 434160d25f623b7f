"""Resetting a case to re-run from a workflow task, after a fix has been deployed. The reset
keeps the history up to that task, replays it on the new code and carries on; updates and
signals that came after it are applied again."""

from __future__ import annotations

import uuid

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client

_TASK_ENDS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


class ResetError(RuntimeError):
    """The case cannot be reset as asked; the message says why."""


async def last_good_task(client: Client, workflow_id: str) -> int:
    """The event id of the last workflow task that completed: the newest point the old code
    got right, and so where a fixed worker should take over."""
    last: int | None = None
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            last = event.event_id
    if last is None:
        raise ResetError(f"{workflow_id} has no completed workflow task to reset to")
    return last


async def check_reset_point(client: Client, workflow_id: str, event_id: int) -> None:
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_id == event_id:
            if event.event_type not in _TASK_ENDS:
                raise ResetError(
                    f"event {event_id} is a {EventType.Name(event.event_type)}; "
                    "reset to the end of a workflow task (completed, failed or timed out)"
                )
            return
    raise ResetError(f"{workflow_id} has no event {event_id}")


async def reset_case(client: Client, workflow_id: str, event_id: int, reason: str) -> str:
    """Reset to `event_id`; return the new run's id."""
    await check_reset_point(client, workflow_id, event_id)
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            reason=reason,
            workflow_task_finish_event_id=event_id,
            request_id=str(uuid.uuid4()),
            reset_reapply_type=ResetReapplyType.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
        )
    )
    return response.run_id
