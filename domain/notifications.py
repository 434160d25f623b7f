"""What a notification may carry, and its id. Payloads leave the system (email, messaging), so
they carry no personal data: only the keys in `PAYLOAD_KEYS`, which are ids, codes, levels and
instants. A row is keyed by (workflow id, step key) and its id derives from that key, so a retried
write queues nothing twice and gets the same id back."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from pydantic_core import to_jsonable_python

from domain.records import NotifyInput

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
