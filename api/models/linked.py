"""What a screener is shown beside a contact, on the screening task and the case page: the other
children linked to what the contact names, and the exploitation keyword prompts."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

from domain.links import EntityKind


class LinkedChild(BaseModel):
    """Another child's case linked to a place, peer group or adult this case names or is linked
    to: `via` says which kind, `why` in words."""

    referral_id: UUID
    stage: str | None
    via: EntityKind
    entity_id: UUID
    entity_name: str
    child_name: str | None
    why: str


class ExploitationPrompt(BaseModel):
    """An exploitation indicator the concern's words mention: a prompt to ask, not a finding."""

    indicator: str
    label: str
    matched: list[str]
