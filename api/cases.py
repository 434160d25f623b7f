"""Talking to a referral's workflow from the API: its handle, its query, its updates, and what
Temporal's failures mean to a member of staff (404, 409, 422, 503). Every call waits at most
`FRONTDOOR_API_WORKFLOW_DEADLINE_SECONDS`: with no worker running, an update or a query would
otherwise hang until the client gave up, minutes later."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar
from uuid import UUID

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from domain.case import CaseState, ReferralSummary
from domain.referral import workflow_id_for
from workflows.referral import ReferralWorkflow
from workflows.validation import CASE_CLOSED, COMPLETION_REJECTED, TASK_NOT_OPEN

T = TypeVar("T")

CaseHandle = WorkflowHandle[ReferralWorkflow, ReferralSummary]


def case_handle(client: Client, referral_id: UUID) -> CaseHandle:
    return client.get_workflow_handle_for(ReferralWorkflow.run, workflow_id_for(referral_id))


def no_answer(deadline: float) -> ApiError:
    """The 503 for a call on a workflow that got no answer in time. Temporal itself answers
    (an unreachable server fails at once, as `temporal`), so it is the worker that is missing or
    overloaded; nothing was applied that a repeat would apply twice."""
    return ApiError(
        503,
        "unavailable",
        f"the worker did not answer within {deadline:g}s; nothing is lost: retry with the same "
        "Idempotency-Key (it is safe to repeat)",
        [{"part": "worker"}],
    )


async def within(deadline: float, call: Awaitable[T]) -> T:
    """Await a call on a workflow for at most `deadline` seconds, else answer 503."""
    try:
        async with asyncio.timeout(deadline):
            return await call
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
        raise no_answer(deadline) from err


async def on_case(referral_id: UUID, call: Awaitable[T], *, deadline: float) -> T:
    """Await a call on a referral's workflow within `deadline` seconds, turning Temporal's
    failures into API errors."""
    try:
        return await within(deadline, call)
    except WorkflowUpdateFailedError as err:
        raise _update_failure(err) from err
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND and "already completed" in err.message:
            raise ApiError(409, "case_closed", f"referral {referral_id} is closed") from err
        if err.status is RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "not_found", f"referral {referral_id} was not found") from err
        raise


async def live_state(client: Client, referral_id: UUID, *, deadline: float) -> CaseState | None:
    """The case's live process state, or None once its workflow has left Temporal (the record
    in PostgreSQL answers for it then)."""
    try:
        return await within(
            deadline, case_handle(client, referral_id).query(ReferralWorkflow.state)
        )
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return None
        raise


def _update_failure(err: WorkflowUpdateFailedError) -> ApiError:
    cause: BaseException | None = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = getattr(cause, "cause", None)
    if isinstance(cause, ApplicationError):
        if cause.type in (TASK_NOT_OPEN, CASE_CLOSED):
            return ApiError(409, "conflict", cause.message)
        if cause.type == COMPLETION_REJECTED:
            return ApiError(422, "invalid_request", cause.message, [{"problem": cause.message}])
    return ApiError(500, "internal_error", "the case could not apply this; it was logged")
