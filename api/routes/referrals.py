"""Routes for referrals: intake, the live case, the managers' list, new information."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.cases import case_handle, live_state, on_case
from api.deps import (
    IntakeStaff,
    LimitsDep,
    Manager,
    OptionalIdempotencyKey,
    PoolDep,
    SealerDep,
    SettingsDep,
    Staff,
    TemporalDep,
    WorkflowDeadline,
)
from api.errors import ApiError, ErrorResponse
from api.idempotency import KeyedWrite, caller_tag
from api.idempotency import fingerprint_of as body_fingerprint
from api.intake import (
    case_start,
    fingerprint_of,
    referral_id_for,
    screening_task_of_repeat,
    start_case,
)
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
from api.record import CaseRecordView, case_view
from core.logs import get_logger
from domain.case import Stage
from domain.policy import Rag
from domain.referral import ReferralDetails, workflow_id_for
from domain.tasks import AddInformationInput, agency_team
from store.access_event import case_accesses
from store.audit_event import list_audit_events
from store.referral import CaseFilter, list_cases
from store.task import agency_has_task
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

_CLOCK_GRACE = timedelta(minutes=1)


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
    idempotency_key: OptionalIdempotencyKey = None,
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
    referral_id = referral_id_for(user, idempotency_key)
    fingerprint = fingerprint_of(details)
    url = f"/referrals/{referral_id}"
    start = case_start(details, referral_id, fingerprint, user, settings.task_queue)
    try:
        opened = await start_case(client, start, deadline=settings.api_workflow_deadline_seconds)
    except WorkflowAlreadyStartedError:
        if idempotency_key is None:  # a fresh uuid4 never collides; be safe all the same
            raise
        opened = await screening_task_of_repeat(
            client, referral_id, fingerprint, deadline=settings.api_workflow_deadline_seconds
        )
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


@router.get(
    "/{referral_id}",
    response_model=CaseRecordView,
    responses={404: {"model": ErrorResponse}, 410: {"model": ErrorResponse}},
)
async def get_referral(
    referral_id: UUID,
    _user: IntakeStaff,
    client: TemporalDep,
    pool: PoolDep,
    sealer: SealerDep,
    deadline: WorkflowDeadline,
) -> CaseRecordView:
    """The case: stage, RAG, deadlines, tasks (with who holds them and every result as
    submitted), escalations, outcome, timeline, the intake and every item of new information.
    Read from the case record, with the live process state while the case is open; the same
    once the workflow has left Temporal."""
    live = await live_state(client, referral_id, deadline=deadline)
    return await case_view(pool, sealer, referral_id, live)


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
    user: Staff,
    client: TemporalDep,
    pool: PoolDep,
    caller_limits: LimitsDep,
    deadline: WorkflowDeadline,
    idempotency_key: OptionalIdempotencyKey = None,
) -> InformationAdded:
    """New information about an open case: into its record, and to the one review task that
    re-rates it (opened if none is open). One caller may add only so much to one case (429)."""
    if user.is_partner:
        assert user.agency is not None
        async with pool.acquire() as conn:
            asked = await agency_has_task(
                conn, workflow_id_for(referral_id), agency_team(user.agency)
            )
        if not asked:  # partners reach only the cases they were asked about
            raise ApiError(404, "not_found", f"referral {referral_id} was not found")
    await caller_limits.information(user.user_id, referral_id)
    keyed = None
    if idempotency_key is not None:  # the caller's own key, standing for this body only
        keyed = KeyedWrite(
            pool, f"information/{referral_id}", user, idempotency_key, body_fingerprint(body)
        )
        await keyed.claim()
    handle = case_handle(client, referral_id)
    try:
        outcome = await on_case(
            referral_id,
            handle.execute_update(
                ReferralWorkflow.add_information,
                AddInformationInput(text=body.text, source=body.source, actor=user.user_id),
                id=f"information-{caller_tag(user)}-{idempotency_key}" if keyed else None,
            ),
            deadline=deadline,
        )
    except ApiError as err:
        if keyed is not None and err.status_code in (404, 409, 422):
            await keyed.release()  # refused (closed, unknown): nothing was applied
        raise
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
        events = await list_audit_events(conn, workflow_id_for(referral_id))
        accesses = await case_accesses(conn, referral_id)
    if not events:
        raise ApiError(404, "not_found", f"referral {referral_id} was not found")
    return CaseAudit(
        referral_id=referral_id,
        events=[AuditEntry.model_validate(e.model_dump()) for e in events],
        accesses=[AccessEntry.model_validate(a) for a in accesses],
    )
