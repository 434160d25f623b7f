"""Bodies and answers of the referral routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from domain.case import Stage
from domain.inputs import InputModel
from domain.policy import Rag


class ReferralCreated(BaseModel):
    """The answer to an intake, given once the case's first task is ready to be worked."""

    referral_id: UUID
    url: str = Field(description="where the live case can be read")
    screening_task_id: UUID = Field(
        description="the screening task, already in the inbox: claim or complete it at once"
    )


class ReferralRow(BaseModel):
    """One case in the managers' list: ids, stage and timing only, no personal data."""

    referral_id: UUID
    received_at: datetime
    stage: Stage
    rag: Rag | None
    next_due_at: datetime | None
    overdue: bool
    escalation_level: int
    re_referral: bool
    outcome: str | None


class ReferralPage(BaseModel):
    items: list[ReferralRow]
    total: int
    limit: int
    offset: int


class NewInformation(InputModel):
    text: str = Field(min_length=1, max_length=20_000)
    source: str = Field(min_length=1, max_length=200)


class InformationAdded(BaseModel):
    review_task_id: UUID | None
    stage: Stage


class AuditEntry(BaseModel):
    """A step of the process: a task opened or closed, an escalation, a notice, a reset."""

    occurred_at: datetime
    kind: str
    step_key: str
    actor: str | None
    details: dict[str, Any]


class AccessEntry(BaseModel):
    """Someone reading or changing the case or one of its tasks through the API."""

    at: datetime
    user_id: str
    roles: list[str]
    agency: str | None
    method: str
    route: str
    task_id: UUID | None
    status: int
    client_ip: str | None


class CaseAudit(BaseModel):
    referral_id: UUID
    events: list[AuditEntry]
    accesses: list[AccessEntry]
