"""Taking a referral in: its id (from the Idempotency-Key), the update-with-start that opens its
case and waits for the screening task, and the answer to the same intake sent again."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from datetime import UTC, datetime
from uuid import UUID

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.auth import User
from api.cases import case_handle, on_case, within
from api.errors import ApiError
from api.models.intake import IntakeRequest
from core.public import PublicText
from domain.case import OpenedTask, ReferralSummary
from domain.editions import DEFAULT_POLICY_VERSION
from domain.referral import ReferralDetails, ReferralInput, workflow_id_for
from domain.tasks import TaskKind
from workflows.referral import ReferralWorkflow

# Idempotency keys name a referral per member of staff; the namespace only has to be fixed.
INTAKE_NAMESPACE = uuid.UUID("5b0c6a8e-3f0e-4a57-9d53-2f4c1f1e0d11")
# Repeats of an intake share one update id, so they are answered from the first repeat's update
# instead of each adding one to the case's history. The intake's own update-with-start keeps a
# fresh id: under a shared one the server would attach a repeat to the running case as a retry of
# that update, despite the FAIL policy, and the repeat could not be told from the first intake.
_REPEAT_UPDATE_ID = "repeated-intake"

CaseStart = WithStartWorkflowOperation[ReferralWorkflow, ReferralSummary]


def referral_id_for(user: User, idempotency_key: str | None) -> UUID:
    """The same id for the same member of staff and key; a fresh one without a key."""
    if idempotency_key:
        return uuid.uuid5(INTAKE_NAMESPACE, f"{user.user_id}\n{idempotency_key}")
    return uuid.uuid4()


def fingerprint_of(body: IntakeRequest) -> str:
    """Compared on a repeat, so one key cannot silently stand for two different intakes."""
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def case_start(
    details: ReferralDetails, referral_id: UUID, fingerprint: str, user: User, task_queue: str
) -> CaseStart:
    """The start of the referral's workflow, refused if the case already exists."""
    return WithStartWorkflowOperation(
        ReferralWorkflow.run,
        ReferralInput(
            referral_id=referral_id,
            policy_version=DEFAULT_POLICY_VERSION,
            details=details,
            recorded_at=datetime.now(UTC),
        ),
        id=workflow_id_for(referral_id),
        task_queue=task_queue,
        # FAIL, not USE_EXISTING: a repeat must be told from the first intake (200, not 201) and
        # checked against the first body before anything is sent to that case.
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        memo={"intake_fingerprint": fingerprint, "taken_in_by": user.user_id},
        # Readable in Temporal's UI without the codec: the codec leaves PublicText unsealed.
        static_summary=PublicText(f"referral {referral_id}"),
    )


async def start_case(client: Client, start: CaseStart, *, deadline: float) -> OpenedTask:
    """Start the case and wait (up to `deadline` seconds) for its screening task to be in the
    inbox."""
    try:
        return await within(
            deadline,
            client.execute_update_with_start_workflow(
                ReferralWorkflow.screening_task, start_workflow_operation=start
            ),
        )
    except (WorkflowAlreadyStartedError, RPCError, ApiError):
        # After these the operation holds the start's outcome (for `workflow_handle()`); a failed
        # start left unread there is logged by asyncio as an exception nobody retrieved.
        with contextlib.suppress(Exception):
            await start.workflow_handle()
        raise


async def screening_task_of_repeat(
    client: Client, referral_id: UUID, fingerprint: str, *, deadline: float
) -> OpenedTask:
    """The screening task of a referral an earlier request with the same key took in, once the
    bodies are shown to match."""
    handle = case_handle(client, referral_id)
    described = await handle.describe()
    if (await described.memo()).get("intake_fingerprint") != fingerprint:
        raise ApiError(
            422,
            "invalid_request",
            "this Idempotency-Key was already used for a different referral",
            [{"field": "Idempotency-Key", "problem": "reused with a different body"}],
        )
    if described.status is WorkflowExecutionStatus.RUNNING:
        # The first request may still be waiting for the task: the same update waits with it.
        return await on_case(
            referral_id,
            handle.execute_update(ReferralWorkflow.screening_task, id=_REPEAT_UPDATE_ID),
            deadline=deadline,
        )
    state = await on_case(referral_id, handle.query(ReferralWorkflow.state), deadline=deadline)
    screening = next((t for t in state.tasks if t.kind is TaskKind.screening), None)
    if screening is None:
        raise ApiError(
            409, "case_closed", f"referral {referral_id} closed before its screening task opened"
        )
    return OpenedTask(task_id=screening.task_id, kind=screening.kind, agency=screening.agency)
