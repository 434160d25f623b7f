"""Answers to "why is this case stuck?" from what Temporal knows: no worker polling the task
queue (every case waits), a workflow task failing, an activity retrying, a human task overdue
past the top of its ladder, or a case that has gone quiet while nobody is meant to be working on
it. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, TaskQueueKind, TaskQueueType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    DescribeTaskQueueRequest,
    GetWorkflowExecutionHistoryReverseRequest,
)
from temporalio.client import Client, WorkflowExecutionDescription

from core import search_attributes as sa
from domain.referral import workflow_id_for

OPEN_REFERRALS = 'WorkflowType = "ReferralWorkflow" AND ExecutionStatus = "Running"'
TOP_LEVEL = 3
# A running worker starts a long poll at least once a minute (the server holds each for up to
# about 60 s), so a queue whose newest poll is older than this has no worker.
POLL_STALE_AFTER = timedelta(seconds=75)
# A worker takes a task within milliseconds; one left waiting longer has nobody to take it.
BACKLOG_STALE_AFTER = timedelta(seconds=20)


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


@dataclass(frozen=True)
class QueueHealth:
    """What the server knows of a task queue's workers: the newest poll, the backlog."""

    task_queue: str
    last_poll_age: timedelta | None  # None: no worker has polled since the server started
    backlog_count: int
    backlog_age: timedelta

    def problem(self) -> StuckReason | None:
        """Why every case on the queue waits, or None when a worker is taking its tasks: no
        recent poll, or a task left waiting longer than a worker ever leaves one (a worker just
        stopped still shows its last poll for a minute)."""
        seen = (
            "never polled"
            if self.last_poll_age is None
            else f"last poll {_ago(self.last_poll_age)} ago"
        )
        waiting = (
            f"{self.backlog_count} task(s) waiting, the oldest for {_ago(self.backlog_age)}"
            if self.backlog_count
            else "no task waiting"
        )
        silent = self.last_poll_age is None or self.last_poll_age > POLL_STALE_AFTER
        backlogged = self.backlog_count > 0 and self.backlog_age > BACKLOG_STALE_AFTER
        if not (silent or backlogged):
            return None
        return StuckReason(
            f"task-queue/{self.task_queue}",
            "no_worker",
            f"no worker is taking tasks from task queue {self.task_queue} ({seen}; {waiting}): "
            "start one (`frontdoor worker`, or `frontdoor dev`), or see why it is stuck",
        )


def _ago(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m"


async def queue_health(client: Client, task_queue: str, *, now: datetime) -> QueueHealth:
    """The newest poll and the oldest waiting task over the queue's workflow and activity
    tasks (Temporal's DescribeTaskQueue, as `temporal task-queue describe` shows it)."""
    newest: datetime | None = None
    count, age = 0, timedelta(0)
    for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
        answer = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
                task_queue_type=kind,
                report_stats=True,
            )
        )
        for poller in answer.pollers:
            polled = poller.last_access_time.ToDatetime().replace(tzinfo=now.tzinfo)
            newest = polled if newest is None else max(newest, polled)
        count += answer.stats.approximate_backlog_count
        age = max(age, answer.stats.approximate_backlog_age.ToTimedelta())
    return QueueHealth(
        task_queue=task_queue,
        last_poll_age=None if newest is None else max(now - newest, timedelta(0)),
        backlog_count=count,
        backlog_age=age,
    )


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


async def failure_line(client: Client, failure: Failure) -> str:
    """The failure's message, decrypted: the data converter moves messages into an encrypted
    payload, so the server only holds "Encoded failure"."""
    if not failure.message:
        return ""
    copy = Failure()
    copy.CopyFrom(failure)
    error = await client.data_converter.decode_failure(copy)
    message = getattr(error, "message", None) or str(error)
    return str(message).splitlines()[0] if message else ""


async def _failure_of(client: Client, events: list[HistoryEvent]) -> str | None:
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            failure = event.workflow_task_failed_event_attributes.failure
            return await failure_line(client, failure) or "no message"
    return None


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
        attempt = raw.pending_workflow_task.attempt
        failure = await _failure_of(client, recent)
        # Without a recorded failure the task timed out: no worker took it, or one died on it.
        reasons.append(
            StuckReason(wid, "workflow_task_failing", f"attempt {attempt}: {failure}")
            if failure is not None
            else StuckReason(
                wid,
                "workflow_task_timing_out",
                f"attempt {attempt}: no failure recorded; the task timed out (is a worker "
                "running? see the task queue line)",
            )
        )
    for pending in raw.pending_activities:
        if pending.attempt > 1:
            last = await failure_line(client, pending.last_failure)
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
