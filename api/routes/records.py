"""Routes for the case record: a case's chronology, every referral of the same child, and
corrections of what was recorded."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from api.corrections import Correction, correct
from api.deps import IdempotencyKey, IntakeStaff, Manager, PoolDep, SealerDep
from api.errors import ApiError, ErrorResponse
from api.record import (
    ChronologyItem,
    RecordEntryView,
    chronology,
    open_entry,
    read_entries,
    referral_or_404,
)
from domain.case import Stage
from domain.policy import DecisionOutcome
from store import audit_event as audit_event_store
from store import case_entry as case_entry_store
from store import referral as referral_store

router = APIRouter(
    prefix="/referrals",
    tags=["records"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        410: {"model": ErrorResponse},
    },
)


class Chronology(BaseModel):
    referral_id: UUID
    items: list[ChronologyItem]


class ChildReferral(BaseModel):
    """One referral of the child: its codes and everything recorded on it."""

    referral_id: UUID
    received_at: datetime
    stage: Stage
    outcome: DecisionOutcome | None
    closed_at: datetime | None
    entries: list[RecordEntryView]


class ChildReferrals(BaseModel):
    """Every referral of the same child (matched by the keyed NHS number, or name and date of
    birth), oldest first, each with its record."""

    referrals: list[ChildReferral]


@router.get("/{referral_id}/chronology", response_model=Chronology)
async def case_chronology(
    referral_id: UUID, _user: IntakeStaff, pool: PoolDep, sealer: SealerDep
) -> Chronology:
    """Everything that happened on the case (the audit trail) and everything recorded on it
    (the case record, with what staff wrote), in order."""
    async with pool.acquire() as conn:
        stored = await referral_or_404(conn, referral_id)
        events = await audit_event_store.list_audit_events(conn, stored.workflow_id)
    entries = await read_entries(pool, sealer, [referral_id])
    return Chronology(referral_id=referral_id, items=chronology(events, entries))


@router.get("/{referral_id}/child", response_model=ChildReferrals)
async def child_referrals(
    referral_id: UUID, _user: Manager, pool: PoolDep, sealer: SealerDep
) -> ChildReferrals:
    """For managers: every referral of this referral's child in one view."""
    async with pool.acquire() as conn:
        stored = await referral_or_404(conn, referral_id)
        ids = await referral_store.referrals_of_child(conn, stored.child_keys) or [referral_id]
        referrals = [await referral_store.get_referral(conn, i) for i in ids]
    entries = await read_entries(pool, sealer, ids)
    return ChildReferrals(
        referrals=[
            ChildReferral(
                referral_id=r.referral_id,
                received_at=r.received_at,
                stage=r.stage,
                outcome=r.outcome,
                closed_at=r.closed_at,
                entries=[RecordEntryView.of(e) for e in entries if e.referral_id == r.referral_id],
            )
            for r in referrals
            if r is not None and r.disposed_at is None
        ]
    )


class CorrectionMade(BaseModel):
    """A correction on record: which entry it corrects; `recorded` is false for a repeat."""

    corrects: int
    recorded: bool


@router.post(
    "/{referral_id}/corrections",
    response_model=CorrectionMade,
    status_code=201,
    responses={409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
async def correct_entry(
    referral_id: UUID,
    body: Correction,
    user: IntakeStaff,
    pool: PoolDep,
    sealer: SealerDep,
    idempotency_key: IdempotencyKey,
) -> CorrectionMade:
    """Correct an entry of the case record (the intake, a task's result, an item of new
    information): a new entry with who, when, why and the corrected content; the original
    stays on record. A manager, or the member of staff who wrote the entry, may correct it."""
    async with pool.acquire() as conn:
        stored = await referral_or_404(conn, referral_id)
        target = await case_entry_store.get_entry(conn, body.entry_id)
    if target is None:
        raise ApiError(404, "not_found", f"referral {referral_id} has no entry {body.entry_id}")
    recorded = await correct(
        pool,
        sealer,
        user,
        referral_id,
        stored.workflow_id,
        open_entry(sealer, target),
        body,
        idempotency_key,
    )
    return CorrectionMade(corrects=body.entry_id, recorded=recorded)
