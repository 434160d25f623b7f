"""Places, peer groups and adults of concern from the API's side: made sealed (a place with its
keyed address), linked to children's cases and unlinked with a sealed reason, and read back for
council staff (opened with the record's keys; an adult's name from their person record)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from uuid import UUID

from pydantic import BaseModel

from api.errors import ApiError
from api.models.links import AdultBody, EntityView, LinkView, PeerGroupBody, PlaceBody
from api.people import Keyer, open_record
from core.sealing import RecordSealer, Sealed
from domain.links import (
    AdultRecord,
    EntityKind,
    LinkReason,
    PeerGroupRecord,
    PlaceRecord,
    address_keys,
)
from domain.people import PersonRecord
from store import case_link as link_store
from store import link_entity as entity_store
from store import person as person_store
from store.case_link import StoredLink, link_binding
from store.link_entity import StoredEntity, entity_binding
from store.pool import Conn

Ref = tuple[EntityKind, UUID]


def seal(sealer: RecordSealer, model: BaseModel, bound_to: str) -> Sealed:
    return sealer.seal(model.model_dump_json().encode(), bound_to=bound_to)


async def create_place(conn: Conn, sealer: RecordSealer, body: PlaceBody, by: str) -> UUID:
    place_id = uuid.uuid4()
    record = PlaceRecord(
        kind=body.kind, name=body.name, description=body.description, address=body.address
    )
    keys = address_keys(body.address, Keyer(sealer).key_int)
    sealed = seal(sealer, record, entity_binding(EntityKind.place, place_id))
    await entity_store.insert_place(conn, place_id, body.kind, keys, sealed, by)
    return place_id


async def create_peer_group(conn: Conn, sealer: RecordSealer, body: PeerGroupBody, by: str) -> UUID:
    group_id = uuid.uuid4()
    record = PeerGroupRecord(name=body.name, description=body.description)
    sealed = seal(sealer, record, entity_binding(EntityKind.peer_group, group_id))
    await entity_store.insert_peer_group(conn, group_id, sealed, by)
    return group_id


async def create_adult(conn: Conn, sealer: RecordSealer, body: AdultBody, by: str) -> UUID:
    if not await person_store.get_people(conn, [body.person_id]):
        raise ApiError(
            404,
            "not_found",
            f"person {body.person_id} was not found",
            [{"field": "person_id", "problem": "names no person record"}],
        )
    adult_id = uuid.uuid4()
    sealed = seal(sealer, AdultRecord(why=body.why), entity_binding(EntityKind.adult, adult_id))
    await entity_store.insert_adult(conn, adult_id, body.person_id, sealed, by)
    return adult_id


async def entity_views(
    conn: Conn, sealer: RecordSealer, refs: Iterable[Ref]
) -> dict[Ref, EntityView]:
    """The entities named, opened; an adult named as their person record names them."""
    wanted: dict[EntityKind, list[UUID]] = {}
    for kind, entity_id in refs:
        wanted.setdefault(kind, []).append(entity_id)
    views: dict[Ref, EntityView] = {}
    for kind, ids in wanted.items():
        stored = await entity_store.get_entities(conn, kind, sorted(set(ids), key=str))
        people: dict[UUID, PersonRecord] = {}
        if kind is EntityKind.adult:
            found = await person_store.get_people(
                conn, [s.person_id for s in stored if s.person_id]
            )
            people = {p.person_id: open_record(sealer, p) for p in found}
        for entity in stored:
            views[(kind, entity.entity_id)] = _view(sealer, entity, people)
    return views


def _view(
    sealer: RecordSealer, entity: StoredEntity, people: dict[UUID, PersonRecord]
) -> EntityView:
    plain = sealer.open(entity.sealed, bound_to=entity_binding(entity.kind, entity.entity_id))
    place: PlaceRecord | None = None
    if entity.kind is EntityKind.place:
        place = PlaceRecord.model_validate_json(plain)
        name, description = place.name, place.description
    elif entity.kind is EntityKind.peer_group:
        group = PeerGroupRecord.model_validate_json(plain)
        name, description = group.name, group.description
    else:
        person = people.get(entity.person_id) if entity.person_id else None
        name = person.name if person else "an adult of concern"
        description = AdultRecord.model_validate_json(plain).why
    return EntityView(
        kind=entity.kind,
        entity_id=entity.entity_id,
        name=name,
        description=description,
        place_kind=place.kind if place else None,
        address=place.address if place else None,
        person_id=entity.person_id,
        created_by=entity.created_by,
        created_at=entity.created_at,
    )


async def entity_or_404(conn: Conn, sealer: RecordSealer, ref: Ref) -> EntityView:
    views = await entity_views(conn, sealer, [ref])
    if ref not in views:
        kind, entity_id = ref
        raise ApiError(
            404,
            "not_found",
            f"{kind.value.replace('_', ' ')} {entity_id} was not found",
            [{"field": "entity_id", "problem": f"names no {kind.value}"}],
        )
    return views[ref]


def _reason(sealer: RecordSealer, sealed: Sealed, link_id: UUID, part: str) -> str:
    plain = sealer.open(sealed, bound_to=link_binding(link_id, part))
    return LinkReason.model_validate_json(plain).reason


def link_view(sealer: RecordSealer, link: StoredLink, names: dict[Ref, EntityView]) -> LinkView:
    entity = names.get((link.entity_kind, link.entity_id))
    return LinkView(
        link_id=link.link_id,
        referral_id=link.referral_id,
        kind=link.entity_kind,
        entity_id=link.entity_id,
        entity_name=entity.name if entity else "",
        linked_by=link.linked_by,
        linked_at=link.linked_at,
        reason=_reason(sealer, link.reason, link.link_id, "reason"),
        ended_by=link.ended_by,
        ended_at=link.ended_at,
        end_reason=(
            _reason(sealer, link.end_reason, link.link_id, "end") if link.end_reason else None
        ),
    )


def reason_of(sealer: RecordSealer, link: StoredLink) -> str:
    return _reason(sealer, link.reason, link.link_id, "reason")


async def link_case(
    conn: Conn, sealer: RecordSealer, referral_id: UUID, ref: Ref, reason: str, by: str
) -> tuple[StoredLink, bool]:
    """Link the case to the entity (the open link if there is one already) and whether new."""
    kind, entity_id = ref
    link_id = uuid.uuid4()
    sealed = seal(sealer, LinkReason(reason=reason), link_binding(link_id))
    made = await link_store.insert_link(conn, link_id, referral_id, kind, entity_id, by, sealed)
    link = await link_store.open_link(conn, referral_id, kind, entity_id)
    assert link is not None  # just made, or open already (one open link per case and entity)
    return link, made


async def end_case_link(
    conn: Conn, sealer: RecordSealer, referral_id: UUID, link_id: UUID, reason: str, by: str
) -> StoredLink:
    link = await link_store.get_link(conn, link_id)
    if link is None or link.referral_id != referral_id:
        raise ApiError(404, "not_found", f"link {link_id} of referral {referral_id} was not found")
    if link.ended_at is not None:
        raise ApiError(409, "conflict", f"link {link_id} was ended already by {link.ended_by}")
    sealed = seal(sealer, LinkReason(reason=reason), link_binding(link_id, "end"))
    if not await link_store.end_link(conn, link_id, by, sealed):
        raise ApiError(409, "conflict", f"link {link_id} changed meanwhile; try again")
    ended = await link_store.get_link(conn, link_id)
    assert ended is not None
    return ended
