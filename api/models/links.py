"""Bodies and answers of the links routes (places, peer groups, adults of concern, links between
them and children's cases), the case page with its linked children, and the network around a
case."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from api.models.linked import LinkedChild
from api.models.people import ReferralCaseView
from domain.inputs import InputModel
from domain.links import EntityKind, PlaceKind
from domain.network import NodeKind


class PlaceBody(InputModel):
    """A place: an address, a park, a shop, a school. With an address, a contact naming it (the
    child's or a household member's address) shows the children linked to it."""

    kind: PlaceKind
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=2_000)
    address: str | None = Field(default=None, min_length=1, max_length=500)


class PeerGroupBody(InputModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=2_000)


class AdultBody(InputModel):
    """An adult of concern: a person record (from person search or a case's household), and why."""

    person_id: UUID
    why: str = Field(min_length=1, max_length=4_000)


class EntityView(BaseModel):
    """A place, peer group or adult of concern as council staff read it."""

    kind: EntityKind
    entity_id: UUID
    name: str
    description: str | None = None
    place_kind: PlaceKind | None = None
    address: str | None = None
    person_id: UUID | None = None
    created_by: str
    created_at: datetime


class LinkBody(InputModel):
    """Link the case in the path to a place, peer group or adult of concern, saying why."""

    kind: EntityKind
    entity_id: UUID
    reason: str = Field(min_length=1, max_length=4_000)


class EndLinkBody(InputModel):
    reason: str = Field(min_length=1, max_length=4_000)


class LinkView(BaseModel):
    link_id: UUID
    referral_id: UUID
    kind: EntityKind
    entity_id: UUID
    entity_name: str
    linked_by: str
    linked_at: datetime
    reason: str
    ended_by: str | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None


class CaseLinks(BaseModel):
    """A case's links, oldest first, the ended ones included (with who ended them and why)."""

    referral_id: UUID
    links: list[LinkView]


class CaseWithLinks(ReferralCaseView):
    """The case page: the case, its siblings' cases, and the children linked to it."""

    linked_children: list[LinkedChild] = Field(default_factory=list)


class NetworkNode(BaseModel):
    node_id: str
    kind: NodeKind
    label: str
    referral_id: UUID | None = None
    entity_id: UUID | None = None
    stage: str | None = None
    centre: bool = False


class NetworkEdge(BaseModel):
    link_id: UUID
    source: str
    target: str
    linked_by: str
    linked_at: datetime
    reason: str


class Network(BaseModel):
    """The children, places, peer groups and adults linked around a case, for a MACE meeting."""

    referral_id: UUID
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
