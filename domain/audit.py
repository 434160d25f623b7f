"""The audit trail's record of a step: who did what to which case, when, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEvent(BaseModel):
    """One append-only audit entry, unique per workflow id and step key.

    `details` holds ids, codes and levels, never a child's personal data: audit rows are read by
    engineers and exported to the oversight group.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    workflow_id: str = Field(min_length=1, max_length=200)
    step_key: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=100)
    actor: str | None = Field(default=None, max_length=200)
    occurred_at: datetime
    details: dict[str, Any] = Field(default_factory=dict)


class AuditEventRecorded(BaseModel):
    """The result of recording an audit event: its id, and whether this call wrote it."""

    event_id: int
    created: bool
