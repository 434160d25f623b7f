"""Routes of the audit programme (docs/quality-assurance.md): drawing a month's sample
(managers), an auditor's audits, the audit form with the case as the record shows it,
moderation by a second auditor, and learning actions. The work is api/quality.py's."""

from __future__ import annotations

from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
from fastapi import APIRouter, Path

from api import quality
from api.auth import User
from api.deps import Auditing, LearningStaff, Manager, OptionalIdempotencyKey, PoolDep, SealerDep
from api.errors import ApiError, ErrorResponse
from api.idempotency import KeyedWrite, caller_tag, fingerprint_of
from api.models import audits as m
from api.record import case_view
from store import audit as audit_store
from store import audit_sample

router = APIRouter(
    tags=["audits"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)

AuditId = Annotated[UUID, Path(description="the audit's id")]


@router.post("/audits/samples", status_code=201, response_model=m.SampleView)
async def draw_sample(
    body: m.DrawSample,
    user: Manager,
    pool: PoolDep,
    idempotency_key: OptionalIdempotencyKey = None,
) -> m.SampleView:
    """Draw a month's sample of closed cases (or repeat one from its seed) and assign each case
    to an auditor who did not work it. With an Idempotency-Key, the same request sent again
    (a second press of the button, a retry) answers with the sample the first drew and draws
    no other; the same key with another body is a 422."""
    if idempotency_key is None:
        return await quality.draw(pool, user, body)
    keyed = KeyedWrite(pool, "audits/samples", user, idempotency_key, fingerprint_of(body))
    await keyed.claim()
    sample_id = _sample_id_for(user, idempotency_key)
    drawn = await _drawn(pool, sample_id)
    if drawn is not None:
        return drawn
    try:
        return await quality.draw(pool, user, body, sample_id=sample_id)
    except asyncpg.UniqueViolationError:
        drawn = await _drawn(pool, sample_id)  # drawn meanwhile by the same request sent twice
        if drawn is None:
            raise
        return drawn
    except ApiError:
        await keyed.release()  # refused (no auditor): nothing was drawn
        raise


def _sample_id_for(user: User, key: str) -> UUID:
    """The id of the sample a caller's key draws: the same for the same caller and key."""
    return uuid5(NAMESPACE_URL, f"frontdoor:audit-sample:{caller_tag(user)}:{key}")


async def _drawn(pool: asyncpg.Pool, sample_id: UUID) -> m.SampleView | None:
    """The sample already drawn with this id, as its first draw answered."""
    async with pool.acquire() as conn:
        sample = await audit_sample.get_sample(conn, sample_id)
        if sample is None:
            return None
        audits = await audit_store.audits_of_sample(conn, sample_id)
        candidates = await audit_sample.closed_in_month(conn, sample.month)
    return m.SampleView(
        sample_id=sample_id,
        month=f"{sample.month:%Y-%m}",
        seed=sample.seed,
        rules=sample.rules,
        drawn_by=sample.drawn_by,
        candidates=len(candidates),
        audits=[quality.row_of(a) for a in audits],
    )


@router.get("/audits", response_model=list[m.AuditRow])
async def my_audits(user: Auditing, pool: PoolDep) -> list[m.AuditRow]:
    """The caller's audits, and submitted ones marked for moderation that someone else did."""
    async with pool.acquire() as conn:
        audits = await audit_store.audits_of_auditor(conn, user.user_id)
        mine = [a for a in audits if await quality.visible_or_none(conn, user, a)]
    return [quality.row_of(a) for a in mine]


@router.get("/audits/{audit_id}", response_model=m.AuditView)
async def get_audit(
    audit_id: AuditId, user: Auditing, pool: PoolDep, sealer: SealerDep
) -> m.AuditView:
    """The audit, its answers, moderation and learning actions, and the case it audits."""
    async with pool.acquire() as conn:
        audit = await quality.visible_audit(conn, user, audit_id)
        answers, rationale, moderation, actions = await quality.details(conn, sealer, audit)
    case = await case_view(pool, sealer, audit.referral_id, None)
    return m.AuditView(
        **quality.row_of(audit).model_dump(),
        answers=answers,
        rationale=rationale,
        moderation=moderation,
        actions=actions,
        case=case,
    )


@router.put("/audits/{audit_id}/answers", status_code=204)
async def save_answers(
    audit_id: AuditId, form: m.AuditForm, user: Auditing, pool: PoolDep, sealer: SealerDep
) -> None:
    """Save the audit form whole (every question graded with evidence, and the overall grade
    with its rationale); this submits the audit."""
    await quality.save_form(pool, sealer, user, audit_id, form)


@router.post("/audits/{audit_id}/moderation", status_code=201)
async def moderate(
    audit_id: AuditId, form: m.ModerationForm, user: Auditing, pool: PoolDep, sealer: SealerDep
) -> dict[str, str]:
    """A second auditor's moderation; a disagreement is kept with its resolution."""
    await quality.moderate(pool, sealer, user, audit_id, form)
    return {"audit_id": str(audit_id), "status": "moderated"}


@router.post("/audits/{audit_id}/actions", status_code=201, response_model=m.ActionView)
async def add_action(
    audit_id: AuditId, body: m.NewAction, user: Auditing, pool: PoolDep
) -> m.ActionView:
    """A learning action from the audit's findings, with an owner and a due date."""
    return await quality.add_action(pool, user, audit_id, body)


@router.patch("/actions/{action_id}", response_model=m.ActionView)
async def change_action(
    action_id: Annotated[UUID, Path(description="the learning action's id")],
    body: m.ActionChange,
    user: LearningStaff,
    pool: PoolDep,
) -> m.ActionView:
    """Mark a learning action done (or reopen it), or change its owner or due date."""
    return await quality.change_action(pool, user, action_id, body)
