"""Queries on `place`, `peer_group` and `adult_of_concern`: the entities children's cases are
linked to (sealed bodies; a place's keyed address in clear for matching). Rows are never changed
once written. Callers own the connection and the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from core.sealing import Sealed
from domain.links import EntityKind, PlaceKind
from store.pool import Conn

_TABLES = {
    EntityKind.place: ("place", "place_id"),
    EntityKind.peer_group: ("peer_group", "group_id"),
    EntityKind.adult: ("adult_of_concern", "adult_id"),
}


def entity_binding(kind: EntityKind, entity_id: UUID) -> str:
    """What an entity's sealed body is bound to: it opens only as that entity."""
    return f"{_TABLES[kind][0]}\n{entity_id}"


@dataclass(frozen=True)
class StoredEntity:
    kind: EntityKind
    entity_id: UUID
    created_by: str
    created_at: datetime
    sealed: Sealed
    place_kind: PlaceKind | None = None
    person_id: UUID | None = None  # an adult of concern's person record


async def insert_place(
    conn: Conn, place_id: UUID, kind: PlaceKind, keys: frozenset[int], sealed: Sealed, by: str
) -> None:
    await conn.execute(
        """
        INSERT INTO place (place_id, kind, address_keys, created_by, key_id, body)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        place_id, kind.value, sorted(keys), by, sealed.key_id, sealed.body,
    )  # fmt: skip


async def insert_peer_group(conn: Conn, group_id: UUID, sealed: Sealed, by: str) -> None:
    await conn.execute(
        "INSERT INTO peer_group (group_id, created_by, key_id, body) VALUES ($1, $2, $3, $4)",
        group_id, by, sealed.key_id, sealed.body,
    )  # fmt: skip


async def insert_adult(
    conn: Conn, adult_id: UUID, person_id: UUID, sealed: Sealed, by: str
) -> None:
    await conn.execute(
        """
        INSERT INTO adult_of_concern (adult_id, person_id, created_by, key_id, body)
        VALUES ($1, $2, $3, $4, $5)
        """,
        adult_id, person_id, by, sealed.key_id, sealed.body,
    )  # fmt: skip


def _entity(kind: EntityKind, row: object) -> StoredEntity:
    r = dict(row)  # type: ignore[call-overload]
    return StoredEntity(
        kind=kind,
        entity_id=r["entity_id"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        sealed=Sealed(r["key_id"], bytes(r["body"])),
        place_kind=PlaceKind(r["place_kind"]) if r.get("place_kind") else None,
        person_id=r.get("person_id"),
    )


_SELECT = {
    EntityKind.place: "SELECT place_id AS entity_id, kind AS place_kind, created_by, created_at,"
    " key_id, body FROM place WHERE place_id = ANY($1::uuid[])",
    EntityKind.peer_group: "SELECT group_id AS entity_id, created_by, created_at, key_id, body"
    " FROM peer_group WHERE group_id = ANY($1::uuid[])",
    EntityKind.adult: "SELECT adult_id AS entity_id, person_id, created_by, created_at, key_id,"
    " body FROM adult_of_concern WHERE adult_id = ANY($1::uuid[])",
}


async def get_entities(conn: Conn, kind: EntityKind, ids: list[UUID]) -> list[StoredEntity]:
    rows = await conn.fetch(_SELECT[kind], ids)
    return [_entity(kind, row) for row in rows]


async def places_named_by(
    conn: Conn, person_keys: list[int], share: float
) -> list[tuple[UUID, list[int]]]:
    """The places (and their keyed addresses) whose keyed address a person's keyed address holds
    at least `share` of: the GIN-indexed shortlist that domain.links.names_place confirms."""
    rows = await conn.fetch(
        """
        SELECT place_id, address_keys FROM place
        WHERE address_keys && $1::integer[]
          AND (SELECT count(*) FROM unnest(address_keys) k WHERE k = ANY($1::integer[]))
              >= $2 * cardinality(address_keys)
        ORDER BY created_at, place_id
        """,
        person_keys,
        share,
    )
    return [(row["place_id"], list(row["address_keys"])) for row in rows]


async def adults_of_people(conn: Conn, person_ids: list[UUID]) -> list[tuple[UUID, UUID]]:
    """(adult_id, person_id) of the adults of concern who are these person records."""
    rows = await conn.fetch(
        """
        SELECT adult_id, person_id FROM adult_of_concern WHERE person_id = ANY($1::uuid[])
        ORDER BY created_at, adult_id
        """,
        person_ids,
    )
    return [(row["adult_id"], row["person_id"]) for row in rows]
