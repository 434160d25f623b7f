"""People from the API's side: the person records an intake names (sealed, with their keyed
forms), person search (a shortlist from PostgreSQL, scored by domain/people.py), and people read
back for staff (opened with the record's keys)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from pydantic_core import to_jsonable_python

from api.models.people import CaseLink, PersonQuery, PersonView
from core.sealing import RecordSealer
from domain.people import (
    AddressEntry,
    Forms,
    PersonKind,
    PersonRecord,
    Scored,
    forms,
    score,
)
from domain.referral import Child, HouseholdMember
from store import person as person_store
from store.person import PersonCase, StoredPerson, person_binding
from store.pool import Conn

SHORTLIST = 100
"""The candidates sharing most sound-alike blocks (and the date of birth) that are scored."""


class Keyer:
    """The keyed forms of plain values, with the identifier key (never stored, never logged)."""

    def __init__(self, sealer: RecordSealer) -> None:
        self._sealer = sealer

    def key_int(self, value: str) -> int:
        # 32 bits of the HMAC: enough to tell trigrams apart, too few to be worth reversing.
        return int.from_bytes(bytes.fromhex(self._sealer.identifier("match", value)[:8]), "big",
                              signed=True)  # fmt: skip

    def key_text(self, kind: str, value: str) -> str:
        return self._sealer.identifier(kind, value)


def child_record(child: Child, today: date) -> PersonRecord:
    estimate = (
        today.year - child.age_estimate_years if child.age_estimate_years is not None else None
    )
    return PersonRecord(
        kind=PersonKind.child,
        name=child.name,
        aliases=list(child.aliases),
        date_of_birth=child.date_of_birth,
        birth_year_estimate=estimate,
        unborn=child.is_unborn,
        expected_due_date=child.expected_due_date,
        gender=child.gender,
        ethnicity=child.ethnicity,
        first_language=child.first_language,
        addresses=[AddressEntry(address=child.address, recorded_on=today)],
        nhs_number=child.nhs_number,
    )


def member_record(member: HouseholdMember, child_address: str, today: date) -> PersonRecord:
    age = member.age_estimate_years
    return PersonRecord(
        kind=PersonKind.adult,
        name=member.name,
        aliases=list(member.aliases),
        date_of_birth=member.date_of_birth,
        birth_year_estimate=today.year - age if age is not None else None,
        gender=member.gender,
        addresses=[AddressEntry(address=member.address or child_address, recorded_on=today)],
        relationship_to_child=member.relationship,
        parental_responsibility=member.parental_responsibility,
    )


def record_forms(record: PersonRecord, keyer: Keyer) -> Forms:
    year, estimated = record.birth_year
    return forms(
        [record.name, *record.aliases],
        born=record.born,
        year=year,
        estimated=estimated,
        addresses=[entry.address for entry in record.addresses],
        nhs_number=record.nhs_number,
        key_int=keyer.key_int,
        key_text=keyer.key_text,
    )


def query_forms(query: PersonQuery, keyer: Keyer, today: date) -> tuple[Forms, str | None]:
    """The search's keyed forms, and the keyed form of its own date (not the swapped one)."""
    born = query.date_of_birth or query.expected_due_date
    age = query.age_estimate_years
    estimated = born is None and age is not None
    year = born.year if born else (today.year - age if age is not None else None)
    searched = forms(
        [query.name, *query.aliases],
        born=born,
        year=year,
        estimated=estimated,
        addresses=[query.address] if query.address else [],
        nhs_number=query.nhs_number,
        key_int=keyer.key_int,
        key_text=keyer.key_text,
        searching=True,
    )
    return searched, keyer.key_text("dob", born.isoformat()) if born else None


async def store_person(
    conn: Conn,
    sealer: RecordSealer,
    person_id: UUID,
    record: PersonRecord,
    created_by: str,
) -> bool:
    plain = json.dumps(to_jsonable_python(record.model_dump(mode="json"))).encode()
    sealed = sealer.seal(plain, bound_to=person_binding(person_id))
    return await person_store.insert_person(
        conn, person_id, record.kind, record_forms(record, Keyer(sealer)), sealed, created_by
    )


def open_record(sealer: RecordSealer, stored: StoredPerson) -> PersonRecord:
    plain = sealer.open(stored.sealed, bound_to=person_binding(stored.person_id))
    return PersonRecord.model_validate_json(plain)


def person_view(
    sealer: RecordSealer, stored: StoredPerson, cases: Iterable[PersonCase]
) -> PersonView:
    record = open_record(sealer, stored)
    return PersonView(
        person_id=stored.person_id,
        kind=record.kind,
        name=record.name,
        aliases=record.aliases,
        date_of_birth=record.date_of_birth,
        birth_year_estimate=record.birth_year_estimate,
        unborn=record.unborn,
        expected_due_date=record.expected_due_date,
        gender=record.gender.value if record.gender else None,
        ethnicity=record.ethnicity.value if record.ethnicity else None,
        first_language=record.first_language,
        addresses=record.addresses,
        nhs_number=record.nhs_number,
        cases=[
            CaseLink(referral_id=c.referral_id, role=c.role, stage=c.stage)
            for c in cases
            if c.person_id == stored.person_id
        ],
    )


@dataclass(frozen=True)
class Found:
    person: StoredPerson
    scored: Scored


async def search(
    conn: Conn,
    sealer: RecordSealer,
    query: PersonQuery,
    today: date,
    *,
    minimum: float,
    exclude: frozenset[UUID] = frozenset(),
) -> list[Found]:
    """The people closest to `query`, best first, at most `query.limit`, none below `minimum`."""
    searched, own_date = query_forms(query, Keyer(sealer), today)
    shortlist = await person_store.candidates(
        conn, sorted(searched.blocks), sorted(searched.dob_keys), searched.nhs_key, SHORTLIST
    )
    found = [
        Found(person, score(searched, person.forms, own_date))
        for person in shortlist
        if person.person_id not in exclude
    ]
    ranked = sorted(
        (f for f in found if f.scored.score >= minimum),
        key=lambda f: (-f.scored.score, str(f.person.person_id)),
    )
    return ranked[: query.limit]


def query_of_child(child: Child, limit: int = 5) -> PersonQuery:
    return PersonQuery(
        name=child.name,
        aliases=child.aliases,
        date_of_birth=child.date_of_birth,
        age_estimate_years=child.age_estimate_years,
        expected_due_date=child.expected_due_date,
        address=child.address,
        nhs_number=child.nhs_number,
        limit=limit,
    )
