"""Queries on `audit_event`, the append-only trail of what the process did to a case (tasks,
escalations, notices, resets), with `domain.audit.AuditEvent` as its row model. Inserts are keyed
by (workflow id, step key); the case activities, and `frontdoor engineer reset`, write it; the
managers' audit view reads it. Callers own the connection."""

from __future__ import annotations

import json

from domain.audit import AuditEvent, AuditEventRecorded
from store.pool import Conn


async def insert_audit_event(conn: Conn, event: AuditEvent) -> AuditEventRecorded:
    """Insert the event unless one with the same key exists; either way return its id."""
    event_id = await conn.fetchval(
        """
        INSERT INTO audit_event (workflow_id, step_key, kind, actor, occurred_at, details)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb)
        ON CONFLICT (workflow_id, step_key) DO NOTHING
        RETURNING event_id
        """,
        event.workflow_id,
        event.step_key,
        event.kind,
        event.actor,
        event.occurred_at,
        json.dumps(event.details),
    )
    if event_id is not None:
        return AuditEventRecorded(event_id=event_id, created=True)
    existing = await conn.fetchval(
        "SELECT event_id FROM audit_event WHERE workflow_id = $1 AND step_key = $2",
        event.workflow_id,
        event.step_key,
    )
    return AuditEventRecorded(event_id=existing, created=False)


async def list_audit_events(conn: Conn, workflow_id: str) -> list[AuditEvent]:
    """A case's audit trail in the order things happened."""
    rows = await conn.fetch(
        """
        SELECT workflow_id, step_key, kind, actor, occurred_at, details
        FROM audit_event WHERE workflow_id = $1 ORDER BY occurred_at, event_id
        """,
        workflow_id,
    )
    return [
        AuditEvent.model_validate({**dict(row), "details": json.loads(row["details"])})
        for row in rows
    ]
