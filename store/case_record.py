"""The case record as the activities see it: `activities.ports.CaseStore` over PostgreSQL.

One `transaction()` per case step; each method is a query of the table module that owns it.
The worker builds `PgCaseStore` around its pool and hands it to the activities.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

import asyncpg

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
from store import agency_check as agency_check_store
from store import audit_event as audit_event_store
from store import case_entry as case_entry_store
from store import notification as notification_store
from store import referral as referral_store
from store import task as task_store
from store.notification import Notification
from store.pool import Conn


class PgCaseTransaction:
    """The case step's queries, on one connection inside an open transaction."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def earlier_referrals(
        self, referral_id: UUID, received_at: datetime, keys: ChildKeys
    ) -> list[UUID]:
        return await referral_store.find_earlier_referrals(
            self._conn, referral_id, received_at, keys
        )

    async def insert_referral(self, referral: RegisterReferralInput, keys: ChildKeys) -> bool:
        return await referral_store.upsert_referral(self._conn, referral, keys)

    async def mark_re_referral(self, workflow_id: str) -> None:
        await referral_store.mark_re_referral(self._conn, workflow_id)

    async def apply_progress(self, workflow_id: str, progress: CaseProgress) -> bool:
        return await referral_store.apply_progress(self._conn, workflow_id, progress)

    async def insert_task(self, task: OpenTaskInput) -> bool:
        return await task_store.insert_task(self._conn, task)

    async def close_task(self, close: CloseTaskInput) -> bool:
        return await task_store.close_task(self._conn, close)

    async def task_assignee(self, task_id: str) -> str | None:
        return await task_store.get_task_assignee(self._conn, task_id)

    async def raise_task_escalation(self, task_id: str, level: int) -> None:
        await task_store.raise_task_escalation(self._conn, task_id, level)

    async def insert_agency_check(self, task: OpenTaskInput) -> bool:
        return await agency_check_store.insert_agency_check(self._conn, task)

    async def close_agency_check(self, close: CloseTaskInput) -> bool:
        return await agency_check_store.close_agency_check(self._conn, close)

    async def queue_notification(self, notice: NotifyInput) -> UUID:
        return await notification_store.queue_notification(self._conn, notice)

    async def queued_recipient(self, notification_id: UUID) -> Notification | None:
        return await notification_store.get_notification(self._conn, notification_id)

    async def insert_audit_event(self, event: AuditEvent) -> AuditEventRecorded:
        return await audit_event_store.insert_audit_event(self._conn, event)

    async def insert_entry(self, entry: RecordEntryInput, sealed: Sealed) -> bool:
        return await case_entry_store.insert_entry(
            self._conn,
            referral_id=entry.referral_id,
            workflow_id=entry.workflow_id,
            step_key=entry.step_key,
            kind=entry.kind,
            task_id=UUID(entry.task_id) if entry.task_id else None,
            actor=entry.actor,
            occurred_at=entry.occurred_at,
            sealed=sealed,
        )


class PgCaseStore:
    """`CaseStore` over the worker's pool (the worker owns and closes the pool)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgCaseTransaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PgCaseTransaction(conn)
