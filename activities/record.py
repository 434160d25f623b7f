"""Writing the case record from the activities: each entry's body sealed before it leaves the
worker (bound to its case and step), and the child's matching identifiers keyed (HMAC), so
PostgreSQL holds neither what staff wrote nor an identifier in plain."""

from __future__ import annotations

import json

from pydantic_core import to_jsonable_python

from activities.ports import CaseTransaction
from core.sealing import RecordSealer, entry_binding
from domain.record import INTAKE_STEP, ChildKeys, EntryKind, adult_on
from domain.records import RecordEntryInput, RegisterReferralInput
from domain.referral import ReferralDetails, child_match_value


class CaseRecord:
    """Seals entries and keys identifiers with the worker's keys."""

    def __init__(self, sealer: RecordSealer) -> None:
        self._sealer = sealer

    def child_keys(self, details: ReferralDetails) -> ChildKeys:
        child = details.child
        value = child_match_value(child)
        born = child.date_of_birth or child.expected_due_date
        return ChildKeys(
            nhs=self._sealer.identifier("nhs", child.nhs_number) if child.nhs_number else None,
            name_dob=self._sealer.identifier("name_dob", value) if value else None,
            adult_on=adult_on(born) if born else None,
        )

    async def write(self, tx: CaseTransaction, entry: RecordEntryInput) -> bool:
        plain = json.dumps(to_jsonable_python(entry.body), separators=(",", ":")).encode()
        sealed = self._sealer.seal(plain, bound_to=entry_binding(entry.workflow_id, entry.step_key))
        return await tx.insert_entry(entry, sealed)

    async def write_intake(self, tx: CaseTransaction, referral: RegisterReferralInput) -> bool:
        """The intake as taken in: referrer, child, household, concern, consent."""
        return await self.write(
            tx,
            RecordEntryInput(
                workflow_id=referral.workflow_id,
                referral_id=referral.referral_id,
                step_key=INTAKE_STEP,
                kind=EntryKind.intake,
                occurred_at=referral.received_at,
                body=referral.details.model_dump(mode="json"),
            ),
        )
