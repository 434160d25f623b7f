"""Queries on `person`, `person_relationship` and `case_person`: person records (sealed bodies
and keyed forms, domain/people.py), who is related to whom, and which cases a person is in,
with each case's stage from the read model (`referral`). Callers own the connection and the
transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

from core.sealing import Sealed
from domain.people import Forms, PersonKind, RelationshipKind
from store.pool import Conn


def person_binding(person_id: UUID) -> str:
    """What a person's sealed body is bound to: it opens only as that person's record."""
    return f"person\n{person_id}"


@dataclass(frozen=True)
class StoredPerson:
    """A row of `person`: keyed forms in clear, the record still sealed."""

    person_id: UUID
    kind: PersonKind
    forms: Forms
    sealed: Sealed


@dataclass(frozen=True)
class PersonCase:
    """A case a person is in, and its stage in the read model (None before it is registered)."""

    person_id: UUID
    referral_id: UUID
    role: str
    stage: str | None


_COLUMNS = """person_id, kind, birth_year, birth_year_estimated, dob_key, nhs_key, blocks,
    name_grams, address_keys, key_id, body"""


def _person(row: object) -> StoredPerson:
    r = dict(row)  # type: ignore[call-overload]
    return StoredPerson(
        person_id=r["person_id"],
        kind=PersonKind(r["kind"]),
        forms=Forms(
            names=[frozenset(name) for name in json.loads(r["name_grams"])],
            sounds=frozenset(r["blocks"]),
            blocks=frozenset(r["blocks"]),
            birth_year=r["birth_year"],
            year_estimated=r["birth_year_estimated"],
            dob_keys=frozenset([r["dob_key"]] if r["dob_key"] else []),
            address=frozenset(r["address_keys"]),
            nhs_key=r["nhs_key"],
        ),
        sealed=Sealed(r["key_id"], bytes(r["body"])),
    )


async def insert_person(
    conn: Conn, person_id: UUID, kind: PersonKind, forms: Forms, sealed: Sealed, created_by: str
) -> bool:
    """Insert the person unless they exist (a repeated intake); whether this call did."""
    dob_key = next(iter(forms.dob_keys), None)
    inserted = await conn.fetchval(
        """
        INSERT INTO person (person_id, kind, created_by, birth_year, birth_year_estimated,
                            dob_key, nhs_key, blocks, name_grams, address_keys, key_id, body)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)
        ON CONFLICT (person_id) DO NOTHING
        RETURNING true
        """,
        person_id, kind.value, created_by, forms.birth_year, forms.year_estimated, dob_key,
        forms.nhs_key, sorted(forms.blocks), json.dumps([sorted(n) for n in forms.names]),
        sorted(forms.address), sealed.key_id, sealed.body,
    )  # fmt: skip
    return bool(inserted)


async def relate(
    conn: Conn, a: UUID, b: UUID, kind: RelationshipKind, referral_id: UUID | None
) -> None:
    """Record the relationship both ways (once)."""
    await conn.executemany(
        """
        INSERT INTO person_relationship (person_id, related_id, kind, referral_id)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
        """,
        [(a, b, kind.value, referral_id), (b, a, kind.value, referral_id)],
    )


async def link_case(
    conn: Conn, referral_id: UUID, person_id: UUID, role: str, ordinal: int
) -> None:
    await conn.execute(
        """
        INSERT INTO case_person (referral_id, person_id, role, ordinal)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
        """,
        referral_id, person_id, role, ordinal,
    )  # fmt: skip


async def linked_referrals(conn: Conn, referral_ids: list[UUID]) -> list[UUID]:
    """Which of these cases already have their people recorded (an intake sent again)."""
    rows = await conn.fetch(
        "SELECT DISTINCT referral_id FROM case_person WHERE referral_id = ANY($1::uuid[])",
        referral_ids,
    )
    return [row["referral_id"] for row in rows]


async def candidates(
    conn: Conn, blocks: list[int], dob_keys: list[str], nhs_key: str | None, limit: int
) -> list[StoredPerson]:
    """People sharing a sound-alike block, a keyed date of birth or a keyed NHS number with a
    search: the `limit` sharing most (the shortlist the scoring ranks). Ranked in SQL on the
    narrow columns first, so only the shortlist's rows are read whole."""
    rows = await conn.fetch(
        f"""
        WITH hit AS (
            SELECT person_id,
                   (nhs_key IS NOT DISTINCT FROM $3 AND $3 IS NOT NULL) AS same_nhs,
                   (SELECT count(*) FROM unnest($1::integer[]) b WHERE b = ANY(blocks))
                   + CASE WHEN dob_key = ANY($2::text[]) THEN 2 ELSE 0 END AS shared
            FROM person
            WHERE blocks && $1::integer[] OR dob_key = ANY($2::text[]) OR nhs_key = $3
        ), best AS (
            SELECT person_id FROM hit ORDER BY same_nhs DESC, shared DESC LIMIT $4
        )
        SELECT {_COLUMNS} FROM person JOIN best USING (person_id)
        """,
        blocks,
        dob_keys,
        nhs_key,
        limit,
    )
    return [_person(row) for row in rows]


async def get_people(conn: Conn, person_ids: list[UUID]) -> list[StoredPerson]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM person WHERE person_id = ANY($1::uuid[])", person_ids
    )
    return [_person(row) for row in rows]


async def cases_of_people(conn: Conn, person_ids: list[UUID]) -> list[PersonCase]:
    """Every case these people are in, newest registered first, with its stage."""
    rows = await conn.fetch(
        """
        SELECT cp.person_id, cp.referral_id, cp.role, r.stage
        FROM case_person cp LEFT JOIN referral r ON r.referral_id = cp.referral_id
        WHERE cp.person_id = ANY($1::uuid[]) AND r.disposed_at IS NULL
        ORDER BY r.received_at DESC NULLS FIRST, cp.referral_id
        """,
        person_ids,
    )
    return [PersonCase(**dict(row)) for row in rows]


async def people_of_case(conn: Conn, referral_id: UUID, role: str) -> list[UUID]:
    """The people of a case in one role, in the order the intake named them."""
    rows = await conn.fetch(
        """
        SELECT person_id FROM case_person WHERE referral_id = $1 AND role = $2
        ORDER BY ordinal, person_id
        """,
        referral_id,
        role,
    )
    return [row["person_id"] for row in rows]


async def sibling_cases(conn: Conn, referral_id: UUID) -> list[PersonCase]:
    """The cases of the case's child's siblings, with their stages (the case itself left out)."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT other.person_id, other.referral_id, other.role, r.stage, r.received_at
        FROM case_person me
        JOIN person_relationship rel ON rel.person_id = me.person_id AND rel.kind = 'sibling'
        JOIN case_person other ON other.person_id = rel.related_id AND other.role = 'subject'
        LEFT JOIN referral r ON r.referral_id = other.referral_id
        WHERE me.referral_id = $1 AND me.role = 'subject' AND other.referral_id <> $1
        ORDER BY r.received_at, other.referral_id
        """,
        referral_id,
    )
    return [
        PersonCase(
            person_id=row["person_id"],
            referral_id=row["referral_id"],
            role=row["role"],
            stage=row["stage"],
        )
        for row in rows
    ]


async def relatives(conn: Conn, person_id: UUID) -> list[tuple[UUID, RelationshipKind]]:
    rows = await conn.fetch(
        "SELECT related_id, kind FROM person_relationship WHERE person_id = $1 ORDER BY kind",
        person_id,
    )
    return [(row["related_id"], RelationshipKind(row["kind"])) for row in rows]
