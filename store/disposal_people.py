"""Disposal of the people and links of a record (store/disposal.py runs it in the disposal's
transaction): what a referral's disposal takes from `case_link`, `case_person`, `person`,
`person_relationship`, `person_match` and the linked entities (`place`, `peer_group`,
`adult_of_concern`), planned first (the dry run reports the plan) and then carried out.

A referral is *dead* when it is disposed of (`disposed_at`) or among those being disposed of in
this run; every other referral, open, closed or held, is *live*, and so is one whose read model
row is not registered yet. What goes with a dead referral:

- every `case_link` row of it (each reason is free text about the child);
- the people it names (`case_person`) who are in no live case, with their relationships and the
  screeners' match decisions on them; a person with no case of their own (an adult of the
  household of a contact added to an open case) goes with the last live relative they had;
  a person still in a live case stays, no longer in the dead one;
- the places, peer groups and adults of concern it was linked to, or whose person goes, that no
  live case is linked to (ended links count: the live case's record shows them); an adult of
  concern kept keeps their person record.

Kept: `person_access` (who was shown a person, when: ids only, like `access_event`), and
relationships between people who both stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from domain.links import EntityKind
from store.pool import Conn

DISPOSAL_LOCK_KEY = 0x46444953504F53  # "FDISPOS": one disposal at a time decides who is left
_TABLES = {
    EntityKind.place: ("place", "place_id"),
    EntityKind.peer_group: ("peer_group", "group_id"),
    EntityKind.adult: ("adult_of_concern", "adult_id"),
}

Ref = tuple[EntityKind, UUID]


@dataclass(frozen=True)
class Plan:
    """What disposing of one referral takes away: ids, never their content."""

    entries: int = 0
    links: list[UUID] = field(default_factory=list)
    people: list[UUID] = field(default_factory=list)
    people_kept: int = 0
    """The referral's people who stay, each in a live case."""
    entities: list[Ref] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The plan in numbers, as the audit trail and the command say it."""
        return {
            "entries_deleted": self.entries,
            "people_deleted": len(self.people),
            "people_kept": self.people_kept,
            "links_deleted": len(self.links),
            "entities_deleted": len(self.entities),
        }


async def lock(conn: Conn) -> None:
    """Until the transaction ends, no other disposal decides who is left in a live case."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", DISPOSAL_LOCK_KEY)


async def _ids(conn: Conn, sql: str, *args: object) -> set[UUID]:
    return {row[0] for row in await conn.fetch(sql, *args)}


# A case_person row or a case_link row of a live referral (`r` its read model row, if any).
_LIVE = "r.disposed_at IS NULL AND NOT (x.referral_id = ANY($2::uuid[]))"


async def plan(conn: Conn, referral_id: UUID, dead: set[UUID]) -> Plan:
    """What disposing of `referral_id` takes, the referrals in `dead` (and those disposed of)
    counted as gone; reads only."""
    gone = sorted(dead | {referral_id})
    entries = await conn.fetchval(
        "SELECT count(*) FROM case_entry WHERE referral_id = $1", referral_id
    )
    links = await conn.fetch(
        "SELECT link_id, entity_kind, entity_id FROM case_link WHERE referral_id = $1",
        referral_id,
    )
    named = await _ids(
        conn, "SELECT person_id FROM case_person WHERE referral_id = $1", referral_id
    )
    caseless = await _ids(
        conn,
        """SELECT DISTINCT rel.related_id FROM person_relationship rel
           WHERE rel.person_id = ANY($1::uuid[])
             AND NOT EXISTS (SELECT 1 FROM case_person cp WHERE cp.person_id = rel.related_id)""",
        list(named),
    )
    in_live_case = await _ids(
        conn,
        f"""SELECT DISTINCT x.person_id FROM case_person x
            LEFT JOIN referral r ON r.referral_id = x.referral_id
            WHERE x.person_id = ANY($1::uuid[]) AND {_LIVE}""",
        list(named),
        gone,
    )
    with_live_relative = await _ids(
        conn,
        f"""SELECT DISTINCT rel.person_id FROM person_relationship rel
            JOIN case_person x ON x.person_id = rel.related_id
            LEFT JOIN referral r ON r.referral_id = x.referral_id
            WHERE rel.person_id = ANY($1::uuid[]) AND {_LIVE}""",
        list(caseless),
        gone,
    )
    leaving = (named - in_live_case) | (caseless - with_live_relative)

    touched: set[Ref] = {(EntityKind(row["entity_kind"]), row["entity_id"]) for row in links}
    adults = await conn.fetch(
        "SELECT adult_id FROM adult_of_concern WHERE person_id = ANY($1::uuid[])", list(leaving)
    )
    touched |= {(EntityKind.adult, row["adult_id"]) for row in adults}
    ordered = sorted(touched, key=lambda ref: (ref[0].value, str(ref[1])))
    still_linked = await conn.fetch(
        f"""SELECT DISTINCT x.entity_kind, x.entity_id FROM case_link x
            JOIN unnest($1::text[], $3::uuid[]) AS e(kind, id)
              ON x.entity_kind = e.kind AND x.entity_id = e.id
            LEFT JOIN referral r ON r.referral_id = x.referral_id
            WHERE {_LIVE}""",
        [kind.value for kind, _ in ordered],
        gone,
        [entity_id for _, entity_id in ordered],
    )
    kept = {(EntityKind(row["entity_kind"]), row["entity_id"]) for row in still_linked}
    entities = [ref for ref in ordered if ref not in kept]
    # Links a referral disposed of earlier still has to an entity that goes (none once every
    # disposal reached the links).
    stale = await _ids(
        conn,
        """SELECT l.link_id FROM case_link l
           JOIN unnest($1::text[], $2::uuid[]) AS e(kind, id)
             ON l.entity_kind = e.kind AND l.entity_id = e.id
           JOIN referral r ON r.referral_id = l.referral_id AND r.disposed_at IS NOT NULL""",
        [kind.value for kind, _ in entities],
        [entity_id for _, entity_id in entities],
    )
    # An adult of concern who stays keeps their person record (it is their name).
    going_adults = [entity_id for kind, entity_id in entities if kind is EntityKind.adult]
    held_by_adult = await _ids(
        conn,
        """SELECT person_id FROM adult_of_concern
           WHERE person_id = ANY($1::uuid[]) AND NOT (adult_id = ANY($2::uuid[]))""",
        list(leaving),
        going_adults,
    )
    people = sorted(leaving - held_by_adult, key=str)
    return Plan(
        entries=entries,
        links=sorted({row["link_id"] for row in links} | stale, key=str),
        people=people,
        people_kept=len(named - set(people)),
        entities=entities,
    )


async def carry_out(conn: Conn, referral_id: UUID, planned: Plan) -> Plan:
    """Delete what `planned` says, in the caller's disposing transaction (planned in it, under
    `lock`); what was deleted."""
    if not conn.is_in_transaction():
        raise RuntimeError("disposal runs in the caller's transaction")
    await conn.execute("SET LOCAL frontdoor.record_write = 'dispose'")
    people = planned.people
    links = await conn.fetch(
        """DELETE FROM case_link WHERE referral_id = $1 OR link_id = ANY($2::uuid[])
           RETURNING link_id""",
        referral_id,
        planned.links,
    )
    for kind, (table, column) in _TABLES.items():
        ids = [entity_id for k, entity_id in planned.entities if k is kind]
        if ids:
            await conn.execute(f"DELETE FROM {table} WHERE {column} = ANY($1::uuid[])", ids)
    await conn.execute(
        "DELETE FROM person_match WHERE person_id = ANY($1::uuid[]) OR candidate_id = ANY($1)",
        people,
    )
    await conn.execute(
        """DELETE FROM person_relationship
           WHERE person_id = ANY($1::uuid[]) OR related_id = ANY($1::uuid[])""",
        people,
    )
    await conn.execute(
        "DELETE FROM case_person WHERE referral_id = $1 OR person_id = ANY($2::uuid[])",
        referral_id,
        people,
    )
    await conn.execute("DELETE FROM person WHERE person_id = ANY($1::uuid[])", people)
    return Plan(
        entries=planned.entries,
        links=sorted((row["link_id"] for row in links), key=str),
        people=people,
        people_kept=planned.people_kept,
        entities=planned.entities,
    )


async def earlier_remains(conn: Conn) -> list[UUID]:
    """Referrals disposed of that still have people or links (disposed of before disposal
    reached them, or by other means), oldest disposal first."""
    rows = await conn.fetch(
        """
        SELECT r.referral_id FROM referral r
        WHERE r.disposed_at IS NOT NULL
          AND (EXISTS (SELECT 1 FROM case_person cp WHERE cp.referral_id = r.referral_id)
               OR EXISTS (SELECT 1 FROM case_link l WHERE l.referral_id = r.referral_id))
        ORDER BY r.disposed_at, r.referral_id
        """
    )
    return [row["referral_id"] for row in rows]
