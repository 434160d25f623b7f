"""Which children are linked around a case: at screening, the other children's cases linked to a
place the contact names (the child's or a household member's address holds the place's keyed
address) or an adult of concern the household holds (the person matching of api/people.py), or
to anything this case is linked to; and the network around a case for a MACE meeting. Council
staff only: the routes that call these audit every case they show."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from fastapi import Request

from api.links import Ref, entity_views, reason_of
from api.models.linked import ExploitationPrompt, LinkedChild
from api.models.links import Network, NetworkEdge, NetworkNode
from api.models.tasks import StaffTaskDetail
from api.people import SHORTLIST, open_record
from core.sealing import RecordSealer
from domain.indicators import prompts
from domain.links import PLACE_MATCH_SHARE, EntityKind, names_place
from domain.network import NodeKind
from domain.people import MATCH_THRESHOLD, MatchDecision, score
from store import case_link as link_store
from store import link_entity as entity_store
from store import person as person_store
from store import person_match as match_store
from store.case_link import StoredLink
from store.person import StoredPerson
from store.pool import Conn

_KIND_WORDS = {
    EntityKind.place: "place",
    EntityKind.peer_group: "peer group",
    EntityKind.adult: "adult of concern",
}


async def _places_named(conn: Conn, person: StoredPerson) -> list[UUID]:
    shortlist = await entity_store.places_named_by(
        conn, sorted(person.forms.address), PLACE_MATCH_SHARE
    )
    return [place_id for place_id, keys in shortlist if names_place(keys, person.forms.address)]


async def _adults_matching(conn: Conn, member: StoredPerson) -> list[UUID]:
    """The adults of concern this household member is: the same person record, a screener's
    confirmed match, or a candidate scoring MATCH_THRESHOLD (unless a screener rejected it)."""
    forms = member.forms
    shortlist = await person_store.candidates(
        conn, sorted(forms.blocks), sorted(forms.dob_keys), forms.nhs_key, SHORTLIST
    )
    decided: dict[UUID, MatchDecision] = {}
    for d in sorted(await match_store.decisions_of(conn, member.person_id),
                    key=lambda d: d.decided_at):  # fmt: skip
        decided[d.candidate_id] = d.decision
    own_date = next(iter(forms.dob_keys), None)
    close = {member.person_id} | {
        c.person_id
        for c in shortlist
        if score(forms, c.forms, own_date).score >= MATCH_THRESHOLD
        and decided.get(c.person_id) is not MatchDecision.rejected
    }
    close |= {pid for pid, d in decided.items() if d is MatchDecision.confirmed}
    return [adult for adult, _ in await entity_store.adults_of_people(conn, sorted(close, key=str))]


async def _child_names(
    conn: Conn, sealer: RecordSealer, referral_ids: list[UUID]
) -> dict[UUID, str]:
    names: dict[UUID, str] = {}
    for referral_id in referral_ids:
        subject = await person_store.people_of_case(conn, referral_id, "subject")
        for person in await person_store.get_people(conn, subject[:1]):
            names[referral_id] = open_record(sealer, person).name
    return names


async def named_by_contact(conn: Conn, referral_id: UUID) -> dict[Ref, str]:
    """What the case names or is linked to, and why in words: its own open links, the places
    its child's and household's addresses name, the adults of concern in its household."""
    found: dict[Ref, str] = {}
    for link in await link_store.links_of_case(conn, referral_id, ended=False):
        kind_words = _KIND_WORDS[link.entity_kind]
        found.setdefault(
            (link.entity_kind, link.entity_id), f"this case is linked to the {kind_words}"
        )
    for role, whose in (("subject", "the child's"), ("household", "a household member's")):
        ids = await person_store.people_of_case(conn, referral_id, role)
        for person in await person_store.get_people(conn, ids):
            for place_id in await _places_named(conn, person):
                found.setdefault((EntityKind.place, place_id), f"{whose} address is this place")
            if role == "household":
                for adult_id in await _adults_matching(conn, person):
                    found.setdefault(
                        (EntityKind.adult, adult_id), "a household member is this adult of concern"
                    )
    return found


async def linked_children(conn: Conn, sealer: RecordSealer, referral_id: UUID) -> list[LinkedChild]:
    """The other children's cases linked to what this case names or is linked to."""
    found = await named_by_contact(conn, referral_id)
    links = [
        link
        for link in await link_store.links_to(conn, list(found))
        if link.referral_id != referral_id
    ]
    if not links:
        return []
    names = await entity_views(conn, sealer, found)
    children = await _child_names(conn, sealer, sorted({k.referral_id for k in links}, key=str))
    return [
        LinkedChild(
            referral_id=link.referral_id,
            stage=link.stage,
            via=link.entity_kind,
            entity_id=link.entity_id,
            entity_name=names[(link.entity_kind, link.entity_id)].name,
            child_name=children.get(link.referral_id),
            why=found[(link.entity_kind, link.entity_id)],
        )
        for link in links
    ]


def _entity_node(ref: Ref) -> str:
    return f"{ref[0].value}:{ref[1]}"


def _child_node(referral_id: UUID) -> str:
    return f"child:{referral_id}"


async def network(
    conn: Conn, sealer: RecordSealer, referral_id: UUID, stage: str | None
) -> Network:
    """The case's child, what the case is linked to, the other children linked to those, and
    the links between them (open links only: an ended link is history, on GET .../links)."""
    own = await link_store.links_of_case(conn, referral_id, ended=False)
    refs = list(dict.fromkeys((link.entity_kind, link.entity_id) for link in own))
    everyone: list[StoredLink] = await link_store.links_to(conn, refs)
    others = list(dict.fromkeys(k.referral_id for k in everyone if k.referral_id != referral_id))
    stages = {k.referral_id: k.stage for k in everyone}
    names = await entity_views(conn, sealer, refs)
    children = await _child_names(conn, sealer, [referral_id, *others])
    nodes = [
        NetworkNode(
            node_id=_child_node(referral_id),
            kind=NodeKind.child,
            label=children.get(referral_id, "this child"),
            referral_id=referral_id,
            stage=stage,
            centre=True,
        ),
        *(
            NetworkNode(
                node_id=_entity_node(ref),
                kind=NodeKind(ref[0].value),
                label=names[ref].name,
                entity_id=ref[1],
            )
            for ref in refs
            if ref in names
        ),
        *(
            NetworkNode(
                node_id=_child_node(other),
                kind=NodeKind.child,
                label=children.get(other, "a child"),
                referral_id=other,
                stage=stages.get(other),
            )
            for other in others
        ),
    ]
    edges = [
        NetworkEdge(
            link_id=link.link_id,
            source=_child_node(link.referral_id),
            target=_entity_node((link.entity_kind, link.entity_id)),
            linked_by=link.linked_by,
            linked_at=link.linked_at,
            reason=reason_of(sealer, link),
        )
        for link in everyone
    ]
    return Network(referral_id=referral_id, nodes=nodes, edges=edges)


async def with_screening_prompts(
    request: Request, pool: asyncpg.Pool, sealer: RecordSealer, detail: StaffTaskDetail
) -> None:
    """Fill in a council screening task's linked children and keyword prompts; the access log
    records the request against every linked child's case as well (api/access_log.py)."""
    async with pool.acquire() as conn:
        linked = await linked_children(conn, sealer, detail.task.referral_id)
    detail.linked_children = linked
    detail.exploitation_prompts = [
        ExploitationPrompt(indicator=p.indicator, label=p.label, matched=p.matched)
        for p in prompts(detail.intake.concern)
    ]
    if linked:  # the first row as before (the task's own), then one per linked case shown
        request.state.referral_ids = [None, *dict.fromkeys(c.referral_id for c in linked)]
