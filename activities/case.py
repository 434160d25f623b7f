"""The case activities: what the referral workflow writes to PostgreSQL as a case moves.

`register_referral` creates the case row, keys the child's identifiers, finds earlier referrals
and puts the intake in the case record. `apply_writes` runs the writes of one step of a case (a
task closed, the next ones opened, notifications, the audit trail, entries of the case record)
in one transaction, in order, landing together or not at all; the writes themselves are in
`activities.steps`. Both reach PostgreSQL through the ports the worker wires.
"""

from __future__ import annotations

from temporalio import activity

from activities.ports import CaseStore
from activities.record import CaseRecord
from activities.steps import SYSTEM_ACTOR, apply_write, check_write, invalid
from domain.audit import AuditEvent
from domain.records import (
    ApplyWritesInput,
    ApplyWritesResult,
    NotifyInput,
    RecordEntryInput,
    RegisterReferralInput,
    RegisterReferralResult,
)


class CaseActivities:
    """Case activities, built by the worker around the case store it wires."""

    def __init__(self, store: CaseStore, record: CaseRecord) -> None:
        self._store = store
        self._record = record

    @activity.defn
    async def register_referral(self, referral: RegisterReferralInput) -> RegisterReferralResult:
        """Create the case row, the intake's entry in the case record and the
        `referral_received` audit event, and find earlier referrals of the same child (which
        make this a re-referral)."""
        keys = self._record.child_keys(referral.details)
        async with self._store.transaction() as tx:
            # Looked up before inserting, and excluding this referral, so a retry finds the same.
            earlier = await tx.earlier_referrals(referral.referral_id, referral.received_at, keys)
            inserted = await tx.insert_referral(referral, keys)
            if earlier:
                await tx.mark_re_referral(referral.workflow_id)
            await self._record.write_intake(tx, referral)
            await tx.insert_audit_event(
                AuditEvent(
                    workflow_id=referral.workflow_id,
                    step_key="received",
                    kind="referral_received",
                    actor=SYSTEM_ACTOR,
                    occurred_at=referral.received_at,
                    details={
                        "source": referral.source,
                        "policy_version": referral.policy_version,
                        "earlier_referral_count": len(earlier),
                    },
                ),
            )
        activity.logger.info(
            "referral_registered",
            extra={
                "referral_id": str(referral.referral_id),
                "earlier_referral_count": len(earlier),
                "new_row": inserted,
            },
        )
        return RegisterReferralResult(earlier_referral_ids=earlier)

    @activity.defn
    async def apply_writes(self, batch: ApplyWritesInput) -> ApplyWritesResult:
        """The writes of one step of a case, in order, in one transaction, then the latest
        progress they carry; answers, for each write, who it told (escalations)."""
        for write in batch.writes:
            check_write(write)
            if write.workflow_id != batch.workflow_id:
                raise invalid("every write of a batch must be of the batch's case")
        progress = [
            w.progress for w in batch.writes if not isinstance(w, NotifyInput | RecordEntryInput)
        ]
        async with self._store.transaction() as tx:
            told = [await apply_write(tx, self._record, write) for write in batch.writes]
            if progress:
                latest = max(progress, key=lambda p: p.revision)
                await tx.apply_progress(batch.workflow_id, latest)
        return ApplyWritesResult(told=told)
