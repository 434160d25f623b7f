"""Person records in PostgreSQL: nothing a person could be recognised by is stored in clear
(names, dates, addresses and NHS numbers only as keyed forms, the record sealed), and the search
ranks the near-duplicates a screener would expect first."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from api.models.people import PersonQuery
from api.people import search, store_person
from core.sealing import RecordSealer
from domain.people import AddressEntry, PersonKind, PersonRecord
from tests.conftest import TEST_IDENTIFIER_KEY

SEALER = RecordSealer({"k1": bytes(range(32))}, TEST_IDENTIFIER_KEY.get_secret_value().encode())
TODAY = date(2026, 6, 1)


def person(name: str, born: date | None, address: str, **more: object) -> PersonRecord:
    return PersonRecord.model_validate(
        {
            "kind": PersonKind.child,
            "name": name,
            "date_of_birth": born,
            "addresses": [AddressEntry(address=address, recorded_on=TODAY)],
            **more,
        }
    )


async def test_no_name_date_address_or_nhs_number_is_stored_in_clear(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await store_person(
            conn,
            SEALER,
            uuid.uuid4(),
            person("Jayden Smith", date(2015, 3, 4), "3 High Street", nhs_number="9434765919",
                   aliases=["JJ Smith"]),
            "pat",
        )  # fmt: skip
        stored = await conn.fetchval("SELECT row_to_json(p)::text FROM person p")
    for clear in ("Jayden", "jayden", "Smith", "smith", "2015-03-04", "High", "high", "9434765919"):
        assert clear not in stored
    assert '"birth_year":2015' in stored  # the one value kept in clear, to bound the search


async def test_the_search_ranks_the_near_duplicate_first_with_its_reasons(
    pool: asyncpg.Pool,
) -> None:
    target = uuid.uuid4()
    people = {
        target: person("Jayden Smith", date(2015, 3, 4), "3 High Street"),
        uuid.uuid4(): person("Jade Smithers", date(2011, 8, 9), "5 Low Lane"),
        uuid.uuid4(): person("Mia Smith", date(2015, 3, 4), "3 High Street"),
        uuid.uuid4(): person("Jordan Simms", None, "3 High Street", birth_year_estimate=2014),
    }
    async with pool.acquire() as conn:
        for person_id, record in people.items():
            await store_person(conn, SEALER, person_id, record, "pat")
        query = PersonQuery(name="Jaiden Smyth", date_of_birth=date(2015, 4, 3), address="1 Road")
        found = await search(conn, SEALER, query, TODAY, minimum=0.0)
    assert found[0].person.person_id == target
    assert "date of birth matches with day and month swapped" in found[0].scored.reasons
    assert found[0].scored.score > max(f.scored.score for f in found[1:])
