"""Queries on `notification`, the outbox. Activities queue rows (activities/case.py); a sender
(not here) delivers them and marks them sent. A row is keyed by (workflow id, step key) and its id
is derived from that key, so a retried activity queues nothing twice and gets the same id back.

Payloads leave the system (email, messaging), so they carry no personal data: only the keys in
`PAYLOAD_KEYS`, which are ids, codes, levels and instants. Callers open the transaction.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid5

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from domain.records import NotifyInput
from store.pool import Conn

# Fixed forever: changing it would give a retried activity a different id for the same row.
NOTIFICATION_NAMESPACE = UUID("5b0f3c8e-2a0e-4c55-9d57-1f1f0c6a7e21")

PAYLOAD_KEYS = frozenset(
    {
        # ids and where the case is
        "referral_id",
        "task_id",
        "task_kind",
        "step",
        "stage",
        "agency",
        # codes from the domain's enums: RAG, decision or strategy outcome, exploitation risk
        "rag",
        "outcome",
        "risk",
        # when and how far it has escalated
        "due_at",
        "level",
        "role",
    }
)
"""The only keys a notification payload may hold (ids, codes, levels, instants)."""


class DisallowedPayloadError(ValueError):
    """A notification payload named a key outside `PAYLOAD_KEYS` (it might carry personal data)."""


class QueuedNotification(BaseModel):
    """A row of the outbox as stored."""

    notification_id: UUID
    workflow_id: str
    step_key: str
    kind: str
    recipient_team: str
    recipient_role: str | None
    payload: dict[str, Any]
    status: str


def notification_id_for(workflow_id: str, step_key: str) -> UUID:
    """The id of the notification for `step_key` of `workflow_id`: the same on every retry."""
    return uuid5(NOTIFICATION_NAMESPACE, f"{workflow_id}\n{step_key}")


def notification_payload(notice: NotifyInput) -> dict[str, Any]:
    """The stored payload: the caller's keys, checked against `PAYLOAD_KEYS`, plus the referral
    id; DisallowedPayloadError names any other key."""
    extra = sorted(set(notice.payload) - PAYLOAD_KEYS)
    if extra:
        raise DisallowedPayloadError(
            f"notification payload keys {extra} are not allowed; a payload may hold only "
            f"{sorted(PAYLOAD_KEYS)}"
        )
    payload: dict[str, Any] = to_jsonable_python(notice.payload)
    payload["referral_id"] = str(notice.referral_id)
    return payload


async def queue_notification(conn: Conn, notice: NotifyInput) -> UUID:
    """Queue the notification unless one is queued for the same step; return its id either way.

    Whatever was queued first for the step stays: a retry never changes its recipient.
    """
    notification_id = notification_id_for(notice.workflow_id, notice.step_key)
    await conn.execute(
        """
        INSERT INTO notification (notification_id, workflow_id, step_key, kind, recipient_team,
                                  recipient_role, payload)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
        ON CONFLICT (workflow_id, step_key) DO NOTHING
        """,
        notification_id,
        notice.workflow_id,
        notice.step_key,
        notice.kind,
        notice.recipient_team,
        notice.recipient_role,
        json.dumps(notification_payload(notice)),
    )
    return notification_id


async def get_notification(conn: Conn, notification_id: UUID) -> QueuedNotification | None:
    """The queued notification with `notification_id`, or None."""
    row = await conn.fetchrow(
        """
        SELECT notification_id, workflow_id, step_key, kind, recipient_team, recipient_role,
               payload, status
        FROM notification WHERE notification_id = $1
        """,
        notification_id,
    )
    if row is None:
        return None
    return QueuedNotification.model_validate({**dict(row), "payload": json.loads(row["payload"])})
