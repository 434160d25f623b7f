"""The audit activity: writes one entry of the append-only trail, idempotently."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from domain.audit import AuditEvent, AuditEventRecorded
from store.audit import insert_audit_event


class AuditActivities:
    """Audit activities, built by the worker around its pool (the worker owns and closes it)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_audit_event(self, event: AuditEvent) -> AuditEventRecorded:
        """Record `event`; a retry with the same workflow id and step key writes nothing new."""
        async with self._pool.acquire() as conn:
            recorded = await insert_audit_event(conn, event)
        activity.logger.info(
            "audit_event_recorded",
            # Not "created": LogRecord reserves that name.
            extra={
                "audit_kind": event.kind,
                "step_key": event.step_key,
                "new_row": recorded.created,
            },
        )
        return recorded
