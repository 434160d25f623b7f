"""The ports through which the activities reach the case record: what they need from storage,
as Protocols. The store implements them (store/case_record.py) and the worker wires that
implementation in, so importing an activity definition (as the workflow does, to name it) never
imports asyncpg or the store.

Every method runs inside the transaction it was handed: a step's rows land together or not at
all. Inserts are idempotent (keyed by workflow id and step key, or by task id) and say whether
they wrote a new row.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol
from uuid import UUID

from core.sealing import Sealed
from domain.audit import AuditEvent, AuditEventRecorded
from domain.case import CaseProgress
from domain.record import ChildKeys
from domain.records import (
    CloseTaskInput,
    NotifyInput,
    OpenTaskInput,
    RecordEntryInput,
    RegisterReferralInput,
)


class QueuedRecipient(Protocol):
    """Who a queued notification goes to, as first queued (a retry never changes it)."""

    @property
    def recipient_team(self) -> str: ...

    @property
    def recipient_role(self) -> str | None: ...


class CaseTransaction(Protocol):
    """The writes and reads of one case step, in one open transaction."""

    async def earlier_referrals(
        self, referral_id: UUID, received_at: datetime, keys: ChildKeys
    ) -> list[UUID]: ...

    async def insert_referral(self, referral: RegisterReferralInput, keys: ChildKeys) -> bool: ...

    async def mark_re_referral(self, workflow_id: str) -> None: ...

    async def apply_progress(self, workflow_id: str, progress: CaseProgress) -> bool: ...

    async def insert_task(self, task: OpenTaskInput) -> bool: ...

    async def close_task(self, close: CloseTaskInput) -> bool: ...

    async def task_assignee(self, task_id: str) -> str | None: ...

    async def raise_task_escalation(self, task_id: str, level: int) -> None: ...

    async def insert_agency_check(self, task: OpenTaskInput) -> bool: ...

    async def close_agency_check(self, close: CloseTaskInput) -> bool: ...

    async def queue_notification(self, notice: NotifyInput) -> UUID:
        """Queue unless queued for the same step; raises `DisallowedPayloadError` (domain)."""
        ...

    async def queued_recipient(self, notification_id: UUID) -> QueuedRecipient | None: ...

    async def insert_audit_event(self, event: AuditEvent) -> AuditEventRecorded: ...

    async def insert_entry(self, entry: RecordEntryInput, sealed: Sealed) -> bool:
        """An entry of the case record, its body sealed; False if the step already wrote it."""
        ...


class CaseStore(Protocol):
    """Opens one transaction over the case record."""

    def transaction(self) -> AbstractAsyncContextManager[CaseTransaction]: ...
