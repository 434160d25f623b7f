"""Routes for referrals: intake, the live case, the managers' list, new information."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response, status
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.auth import StaffRole, User
from api.cases import case_handle, on_case, with_holders
from api.deps import PoolDep, SettingsDep, TemporalDep, require
from api.errors import ApiError, ErrorResponse
from api.models.referrals import (
    AccessEntry,
    AuditEntry,
    CaseAudit,
    InformationAdded,
    NewInformation,
    ReferralCreated,
    ReferralPage,
    ReferralRow,
)
from core.logs import get_logger
from domain.case import CaseState, OpenedTask, ReferralSummary, Stage
from domain.policy import DEFAULT_POLICY_VERSION, Rag
from domain.referral import ReferralDetails, ReferralInput, workflow_id_for
from domain.tasks import AddInformationInput, TaskKind, agency_team
from store.access import case_accesses, case_audit_events
from store.case_list import CaseFilter, agency_has_task, list_cases
from workflows.referral import ReferralWorkflow

log = get_logger(__name__)
router = APIRouter(
    prefix="/referrals",
    tags=["referrals"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)

# Idempotency keys name a referral per member of staff; the namespace only has to be fixed.
_INTAKE_NAMESPACE = uuid.UUID("5b0c6a8e-3f0e-4a57-9d53-2f4c1f1e0d11")
_CLOCK_GRACE = timedelta(minutes=1)
# Repeats of an intake share one update id, so they are answered from the first repeat's update
# instead of each adding one to the case's history. The intake's own update-with-start keeps a
# fresh id: under a shared one the server would attach a repeat to the running case as a retry of
# that update, despite the FAIL policy, and the repeat could not be told from the first intake.
_REPEAT_UPDATE_ID = "repeated-intake"

T = TypeVar("T")

IntakeStaff = Annotated[User, Depends(require(StaffRole.practitioner, StaffRole.manager))]
Manager = Annotated[User, Depends(require(StaffRole.manager))]
Informant = Annotated[
    User, Depends(require(StaffRole.practitioner, StaffRole.manager, StaffRole.agency))
]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$"),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralCreated,
    responses={
        200: {"model": ReferralCreated, "description": "the same intake, sent again"},
        409: {"model": ErrorResponse, "description": "sent again after the case closed unscreened"},
    },
)
async def take_in_referral(
    details: ReferralDetails,
    user: IntakeStaff,
    client: TemporalDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReferralCreated:
    """Take in a referral: starts its workflow and answers once the screening task is in the
    inbox, with that task's id. With an Idempotency-Key, a repeat returns what the first request
    made (200)."""
    if details.received_at > datetime.now(UTC) + _CLOCK_GRACE:
        raise ApiError(
            422,
            "invalid_request",
            "received_at is in the future",
            [{"field": "received_at", "problem": "must not be in the future"}],
        )
    referral_id = (
        uuid.uuid5(_INTAKE_NAMESPACE, f"{user.user_id}\n{idempotency_key}")
        if idempotency_key
        else uuid.uuid4()
    )
    # Compared on a repeat, so one key cannot silently stand for two different referrals.
    fingerprint = hashlib.sha256(details.model_dump_json().encode()).hexdigest()
    url = f"/referrals/{referral_id}"
    start = WithStartWorkflowOperation(
        ReferralWorkflow.run,
        ReferralInput(
            referral_id=referral_id, policy_version=DEFAULT_POLICY_VERSION, details=details
        ),
        id=workflow_id_for(referral_id),
        task_queue=settings.task_queue,
        # FAIL, not USE_EXISTING: a repeat must be told from the first intake (200, not 201) and
        # checked against the first body before anything is sent to that case.
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        memo={"intake_fingerprint": fingerprint, "taken_in_by": user.user_id},
    )
    try:
        opened = await _start_case(client, start)
    except WorkflowAlreadyStartedError:
        if idempotency_key is None:  # a fresh uuid4 never collides; be safe all the same
            raise
        opened = await _screening_task_of_repeat(client, referral_id, fingerprint)
        response.status_code = status.HTTP_200_OK
    else:
        log.info(
            "referral_taken_in",
            referral_id=str(referral_id),
            workflow_id=workflow_id_for(referral_id),
            task_id=opened.task_id,
            user_id=user.user_id,
        )
        response.headers["Location"] = url
    return ReferralCreated(referral_id=referral_id, url=url, screening_task_id=UUID(opened.task_id))


async def _start_case(
    client: Client, start: WithStartWorkflowOperation[ReferralWorkflow, ReferralSummary]
) -> OpenedTask:
    """Start the case and wait for its screening task to be in the inbox."""
    try:
        return await _in_time(
            client.execute_update_with_start_workflow(
                ReferralWorkflow.screening_task, start_workflow_operation=start
            )
        )
    except (WorkflowAlreadyStartedError, RPCError, ApiError):
        # After these the operation holds the start's outcome (for `workflow_handle()`); a failed
        # start left unread there is logged by asyncio as an exception nobody retrieved.
        with contextlib.suppress(Exception):
            await start.workflow_handle()
        raise


async def _screening_task_of_repeat(
    client: Client, referral_id: UUID, fingerprint: str
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
            _in_time(handle.execute_update(ReferralWorkflow.screening_task, id=_REPEAT_UPDATE_ID)),
        )
    state = await on_case(referral_id, handle.query(ReferralWorkflow.state))
    screening = next((t for t in state.tasks if t.kind is TaskKind.screening), None)
    if screening is None:
        raise ApiError(
            409, "case_closed", f"referral {referral_id} closed before its screening task opened"
        )
    return OpenedTask(task_id=screening.task_id, kind=screening.kind, agency=screening.agency)


async def _in_time(call: Awaitable[T]) -> T:
    """Await an update, answering 503 (send it again) when Temporal did not answer in time."""
    try:
        return await call
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        raise ApiError(
            503,
            "unavailable",
            "Temporal did not answer in time; send the request again (with the same "
            "Idempotency-Key it is safe to repeat)",
            [{"part": "temporal"}],
        ) from err


@router.get("/{referral_id}", response_model=CaseState, responses={404: {"model": ErrorResponse}})
async def get_referral(
    referral_id: UUID,
    _user: IntakeStaff,
    client: TemporalDep,
    pool: PoolDep,
) -> CaseState:
    """The live case: stage, RAG, deadlines, tasks (with who holds them), escalations, outcome,
    timeline."""
    state = await on_case(
        referral_id, case_handle(client, referral_id).query(ReferralWorkflow.state)
    )
    return await with_holders(pool, referral_id, state)


@router.get("", response_model=ReferralPage)
async def list_referrals(
    _user: Manager,
    pool: PoolDep,
    stage: Stage | None = None,
    rag: Rag | None = None,
    overdue: bool | None = None,
    escalation_level_gte: Annotated[int | None, Query(ge=0, le=3)] = None,
    re_referral: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ReferralPage:
    """Cases sorted by what is due next, filtered by stage, RAG, overdue, escalation level and
    re-referral (codes only: no personal data in the filter path)."""
    filters = CaseFilter(
        stage=stage.value if stage else None,
        rag=rag.value if rag else None,
        overdue=overdue,
        escalation_level_gte=escalation_level_gte,
        re_referral=re_referral,
    )
    async with pool.acquire() as conn:
        rows, total = await list_cases(
            conn, filters, now=datetime.now(UTC), limit=limit, offset=offset
        )
    return ReferralPage(
        items=[ReferralRow.model_validate(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{referral_id}/information",
    response_model=InformationAdded,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
async def add_information(
    referral_id: UUID,
    body: NewInformation,
    user: Informant,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKey = None,
) -> InformationAdded:
    """New information about an open case: on its timeline, and a review task to re-rate."""
    if user.is_partner:
        assert user.agency is not None
        async with pool.acquire() as conn:
            asked = await agency_has_task(
                conn, workflow_id_for(referral_id), agency_team(user.agency)
            )
        if not asked:  # partners reach only the cases they were asked about
            raise ApiError(404, "not_found", f"referral {referral_id} was not found")
    handle = case_handle(client, referral_id)
    outcome = await on_case(
        referral_id,
        handle.execute_update(
            ReferralWorkflow.add_information,
            AddInformationInput(text=body.text, source=body.source, actor=user.user_id),
            id=f"information-{idempotency_key}" if idempotency_key else None,
        ),
    )
    return InformationAdded(
        review_task_id=UUID(outcome.review_task_id) if outcome.review_task_id else None,
        stage=outcome.stage,
    )


@router.get(
    "/{referral_id}/audit", response_model=CaseAudit, responses={404: {"model": ErrorResponse}}
)
async def referral_audit(referral_id: UUID, _user: Manager, pool: PoolDep) -> CaseAudit:
    """The case's audit trail (what the process did) and every access to it (who read or
    changed it, when, from where)."""
    async with pool.acquire() as conn:
        events = await case_audit_events(conn, workflow_id_for(referral_id))
        accesses = await case_accesses(conn, referral_id)
    if not events:
        raise ApiError(404, "not_found", f"referral {referral_id} was not found")
    return CaseAudit(
        referral_id=referral_id,
        events=[AuditEntry.model_validate(e) for e in events],
        accesses=[AccessEntry.model_validate(a) for a in accesses],
    )
