"""Routes for the case record: a case's chronology, and every referral of the same child."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import IntakeStaff, Manager, PoolDep, SealerDep
from api.errors import ErrorResponse
from api.record import ChronologyItem, RecordEntryView, chronology, read_entries, referral_or_404
from domain.case import Stage
from domain.policy import DecisionOutcome
from store import audit_event as audit_event_store
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
