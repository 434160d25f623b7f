"""Queries on `case_link`: the links between children's cases and places, peer groups and
adults of concern, with who made each, when and why (sealed); ended, never deleted. Callers own
the connection and the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from core.sealing import Sealed
from domain.links import EntityKind
from store.pool import Conn


def link_binding(link_id: UUID, part: str = "reason") -> str:
    """What a link's sealed reason (or end reason, `part` "end") is bound to."""
    return f"case_link\n{link_id}\n{part}"


@dataclass(frozen=True)
class StoredLink:
    link_id: UUID
    referral_id: UUID
    entity_kind: EntityKind
    entity_id: UUID
    linked_by: str
    linked_at: datetime
    reason: Sealed
    ended_by: str | None
    ended_at: datetime | None
    end_reason: Sealed | None
    stage: str | None  # the linked case's stage in the read model


_COLUMNS = """l.link_id, l.referral_id, l.entity_kind, l.entity_id, l.linked_by, l.linked_at,
    l.key_id, l.reason, l.ended_by, l.ended_at, l.end_key_id, l.end_reason, r.stage"""
_FROM = "case_link l LEFT JOIN referral r ON r.referral_id = l.referral_id"


def _link(row: object) -> StoredLink:
    r = dict(row)  # type: ignore[call-overload]
    return StoredLink(
        link_id=r["link_id"],
        referral_id=r["referral_id"],
        entity_kind=EntityKind(r["entity_kind"]),
        entity_id=r["entity_id"],
        linked_by=r["linked_by"],
        linked_at=r["linked_at"],
        reason=Sealed(r["key_id"], bytes(r["reason"])),
        ended_by=r["ended_by"],
        ended_at=r["ended_at"],
        end_reason=Sealed(r["end_key_id"], bytes(r["end_reason"])) if r["end_reason"] else None,
        stage=r["stage"],
    )


async def open_link(
    conn: Conn, referral_id: UUID, kind: EntityKind, entity_id: UUID
) -> StoredLink | None:
    row = await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM {_FROM} WHERE l.referral_id = $1 AND l.entity_kind = $2
            AND l.entity_id = $3 AND l.ended_at IS NULL""",
        referral_id, kind.value, entity_id,
    )  # fmt: skip
    return _link(row) if row else None


async def insert_link(
    conn: Conn,
    link_id: UUID,
    referral_id: UUID,
    kind: EntityKind,
    entity_id: UUID,
    by: str,
    reason: Sealed,
) -> bool:
    """Link the case, unless it is linked to the entity already (then False)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO case_link (link_id, referral_id, entity_kind, entity_id, linked_by, key_id,
                               reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (referral_id, entity_kind, entity_id) WHERE ended_at IS NULL DO NOTHING
        RETURNING true
        """,
        link_id, referral_id, kind.value, entity_id, by, reason.key_id, reason.body,
    )  # fmt: skip
    return bool(inserted)


async def end_link(conn: Conn, link_id: UUID, by: str, reason: Sealed) -> bool:
    """End an open link with who and why (now); False when it is not open."""
    ended = await conn.fetchval(
        """
        UPDATE case_link SET ended_by = $2, ended_at = now(), end_key_id = $3, end_reason = $4
        WHERE link_id = $1 AND ended_at IS NULL
        RETURNING true
        """,
        link_id, by, reason.key_id, reason.body,
    )  # fmt: skip
    return bool(ended)


async def get_link(conn: Conn, link_id: UUID) -> StoredLink | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE l.link_id = $1", link_id)
    return _link(row) if row else None


async def links_of_case(conn: Conn, referral_id: UUID, *, ended: bool) -> list[StoredLink]:
    """The case's links, oldest first; the ended ones too with `ended`."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM {_FROM} WHERE l.referral_id = $1
            AND ($2 OR l.ended_at IS NULL) ORDER BY l.linked_at, l.link_id""",
        referral_id,
        ended,
    )
    return [_link(row) for row in rows]


async def links_to(conn: Conn, entities: list[tuple[EntityKind, UUID]]) -> list[StoredLink]:
    """Every open link to any of these entities (of any case; disposed cases left out)."""
    if not entities:
        return []
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM {_FROM}
            JOIN unnest($1::text[], $2::uuid[]) AS e(kind, id)
              ON l.entity_kind = e.kind AND l.entity_id = e.id
            WHERE l.ended_at IS NULL AND r.disposed_at IS NULL
            ORDER BY l.linked_at, l.link_id""",
        [kind.value for kind, _ in entities],
        [entity_id for _, entity_id in entities],
    )
    return [_link(row) for row in rows]
