"""Routes for referrals: intake, the live case, the managers' list, new information."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

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
from api.family import record_people, refuse_if_open_cases, slots_of, take_in_children
from api.idempotency import KeyedWrite, caller_tag
from api.idempotency import fingerprint_of as body_fingerprint
from api.intake import fingerprint_of, referral_id_for
from api.intake_checks import check_intake
from api.linked import linked_children
from api.models.intake import IntakeAnswer, IntakeRequest
from api.models.links import CaseWithLinks
from api.models.referrals import (
    AccessEntry,
    AuditEntry,
    CaseAudit,
    InformationAdded,
    NewInformation,
    ReferralPage,
    ReferralRow,
)
from api.models.tasks import SiblingCase
from api.record import case_view_on
from core.logs import get_logger
from domain.case import Stage
from domain.policy import Rag
from domain.referral import workflow_id_for
from domain.tasks import AddInformationInput, agency_team
from store.access_event import case_accesses
from store.audit_event import list_audit_events
from store.person import linked_referrals, sibling_cases
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


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=IntakeAnswer,
    responses={
        200: {"model": IntakeAnswer, "description": "the same intake sent again, or a contact "
              "added to open cases only"},
        404: {"model": ErrorResponse, "description": "add_to_case names no case"},
        409: {
            "model": ErrorResponse,
            "description": "`open_case`: a child may already have an open case (the details "
            "list them, with scores and reasons): send again with add_to_case or "
            "new_case_reason for that child; or sent again after the case closed unscreened",
        },
    },
)  # fmt: skip
async def take_in_referral(
    body: IntakeRequest,
    request: Request,
    user: IntakeStaff,
    client: TemporalDep,
    pool: PoolDep,
    sealer: SealerDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: OptionalIdempotencyKey = None,
) -> IntakeAnswer:
    """Take in a contact about one child (`child`) or several (`children`), each its own case:
    starts each case's workflow and answers once every screening task is in the inbox. A child
    who may already have an open case is answered 409 `open_case` with that case, until the
    screener says `add_to_case` (the contact goes to it as new information) or
    `new_case_reason`. With an Idempotency-Key, a repeat returns what the first request made
    (200)."""
    now = datetime.now(UTC)
    check_intake(body, now)
    slots = slots_of(body, referral_id_for(user, idempotency_key), user, idempotency_key)
    request.state.referral_ids = [slot.target for slot in slots]
    async with pool.acquire() as conn:
        recorded = await linked_referrals(conn, [slot.referral_id for slot in slots])
    if not recorded:  # not a repeat of an intake whose people are on record already
        await refuse_if_open_cases(pool, sealer, body, slots, now.date())
    taken, repeated = await take_in_children(
        client, pool, body, slots, fingerprint_of(body), user, settings, idempotency_key is not None
    )
    await record_people(pool, sealer, body, slots, user, now.date())
    first = taken[0]
    if repeated or all(case.added_to_open_case for case in taken):
        response.status_code = status.HTTP_200_OK
    else:
        for case in taken:
            log.info(
                "referral_taken_in",
                referral_id=str(case.referral_id),
                workflow_id=workflow_id_for(case.referral_id),
                task_id=str(case.screening_task_id or case.review_task_id),
                user_id=user.user_id,
                added_to_open_case=case.added_to_open_case,
            )
        response.headers["Location"] = first.url
    return IntakeAnswer(
        referral_id=first.referral_id,
        url=first.url,
        screening_task_id=first.screening_task_id,
        cases=taken,
    )


@router.get(
    "/{referral_id}",
    response_model=CaseWithLinks,
    responses={404: {"model": ErrorResponse}, 410: {"model": ErrorResponse}},
)
async def get_referral(
    referral_id: UUID,
    request: Request,
    _user: IntakeStaff,
    client: TemporalDep,
    pool: PoolDep,
    sealer: SealerDep,
    deadline: WorkflowDeadline,
) -> CaseWithLinks:
    """The case: stage, RAG, deadlines, tasks (with who holds them and every result as
    submitted), escalations, outcome, timeline, the intake and every item of new information.
    Read from the case record, with the live process state while the case is open; the same
    once the workflow has left Temporal. `siblings`: the cases of the child's brothers and
    sisters, with their stages now. `linked_children`: the other children's cases linked to a
    place or adult this contact names, or to what the case is linked to (each in the access
    audit of this request)."""
    live = await live_state(client, referral_id, deadline=deadline)
    async with pool.acquire() as conn:  # one connection for the case and what is around it
        view = await case_view_on(conn, sealer, referral_id, live)
        siblings = await sibling_cases(conn, referral_id)
        linked = await linked_children(conn, sealer, referral_id)
    request.state.referral_ids = [referral_id, *dict.fromkeys(c.referral_id for c in linked)]
    return CaseWithLinks(
        **dict(view),
        linked_children=linked,
        siblings=[
            SiblingCase(referral_id=s.referral_id, person_id=s.person_id, stage=s.stage)
            for s in siblings
        ],
    )


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
