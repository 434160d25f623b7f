"""People and links as an intake and staff make them (sealed, with keyed forms, through the API's
own functions), for the disposal tests: person records in cases, relationships, match decisions,
places, peer groups, adults of concern and case links."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

from api.links import create_adult, create_peer_group, create_place, end_case_link, link_case
from api.models.links import AdultBody, PeerGroupBody, PlaceBody
from api.people import store_person
from core.sealing import RecordSealer
from domain.links import EntityKind, PlaceKind
from domain.people import AddressEntry, MatchDecision, PersonKind, PersonRecord, RelationshipKind
from store import person as person_store
from store import person_match
from store.pool import Conn

Ref = tuple[EntityKind, UUID]
HOME = "1 Example Street, EX1 1EX"


async def person(
    conn: Conn,
    sealer: RecordSealer,
    name: str,
    *,
    kind: PersonKind = PersonKind.child,
    cases: tuple[tuple[UUID, str], ...] = (),
    born: date = date(2012, 3, 4),
) -> UUID:
    """A person record, in each (referral, role) of `cases`."""
    person_id = uuid.uuid4()
    record = PersonRecord(
        kind=kind,
        name=name,
        aliases=[f"{name.split()[0]}ie"],
        date_of_birth=born,
        addresses=[AddressEntry(address=HOME, recorded_on=date(2012, 5, 1))],
        nhs_number="9434765919" if kind is PersonKind.child else None,
    )
    await store_person(conn, sealer, person_id, record, "sw.smith")
    for ordinal, (referral_id, role) in enumerate(cases):
        await person_store.link_case(conn, referral_id, person_id, role, ordinal)
    return person_id


async def relate(conn: Conn, a: UUID, b: UUID, kind: RelationshipKind, referral_id: UUID) -> None:
    await person_store.relate(conn, a, b, kind, referral_id)


async def decide(conn: Conn, a: UUID, b: UUID) -> None:
    """A screener says `a` and `b` are not the same person (a row on each record)."""
    await person_match.record_decision(conn, a, b, MatchDecision.rejected, 0.5, "sw.smith")


async def place(conn: Conn, sealer: RecordSealer, name: str = "The arcade") -> Ref:
    body = PlaceBody(kind=PlaceKind.shop, name=name, address="2 High Street, EX1 2EX")
    return EntityKind.place, await create_place(conn, sealer, body, "sw.smith")


async def peer_group(conn: Conn, sealer: RecordSealer) -> Ref:
    body = PeerGroupBody(name="The bus stop group", description="older boys")
    return EntityKind.peer_group, await create_peer_group(conn, sealer, body, "sw.smith")


async def adult(conn: Conn, sealer: RecordSealer, person_id: UUID) -> Ref:
    body = AdultBody(person_id=person_id, why="gives the children lifts at night")
    return EntityKind.adult, await create_adult(conn, sealer, body, "sw.smith")


async def link(
    conn: Conn, sealer: RecordSealer, referral_id: UUID, ref: Ref, *, ended: bool = False
) -> UUID:
    """Link the case to the entity, with a reason about the child; `ended`: ended since."""
    made, _ = await link_case(conn, sealer, referral_id, ref, "seen there with Sam", "sw.smith")
    if ended:
        await end_case_link(conn, sealer, referral_id, made.link_id, "moved away", "sw.smith")
    return made.link_id


async def counts(conn: Conn) -> dict[str, int]:
    """How many rows each table of people and links holds."""
    tables = ("person", "case_person", "person_relationship", "person_match", "person_access",
              "case_link", "place", "peer_group", "adult_of_concern")  # fmt: skip
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


async def people_left(conn: Conn, *people: UUID) -> set[UUID]:
    rows = await conn.fetch("SELECT person_id FROM person WHERE person_id = ANY($1)", list(people))
    return {row["person_id"] for row in rows}
