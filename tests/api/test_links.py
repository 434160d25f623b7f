"""Links between children over HTTP, with a real worker, the Temporal dev server and
PostgreSQL: a screener makes a place for an address and links the first child; a second contact
at that address shows the first child on its screening task and case page (to council staff, in
the access audit), not to a partner; an adult of concern found again in a later household; links
ended, never deleted; the exploitation keyword prompt; the network around a case as JSON, SVG
and a page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from api.auth import StaffRole
from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import NONE_SEEN, complete

Json = dict[str, Any]
FLAT = "Flat 2, 22 Canal Street, Townham TN1 4AB"


def contact(child: Json, household: list[Json], concern: str, **changes: Any) -> Json:
    body: Json = {
        "received_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "source": "2A",
        "referrer": {"name": "A Teacher", "organisation": "Example Academy", "phone": "0100"},
        "child": child,
        "household": household,
        "concern": concern,
        "categories": ["neglect"],
        "consent": "given",
    }
    body.update(changes)
    return body


TYLER = {"name": "Tyler Brown", "date_of_birth": "2010-05-05", "address": "14 Mill Lane, Townham"}
KAI = {"name": "Kai Osei", "date_of_birth": "2009-11-12", "address": FLAT}
AMIR = {"name": "Amir Hassan", "date_of_birth": "2011-01-30", "address": "5 Park View, Townham"}
DEAN = {"name": "Dean Carter", "relationship": "uncle", "date_of_birth": "1985-02-02",
        "address": "40 Station Road, Townham"}  # fmt: skip
MOTHER = {"name": "Sue Brown", "relationship": "mother", "parental_responsibility": True,
          "date_of_birth": "1988-08-08"}  # fmt: skip
MISSING = "He's been going missing and comes back with new trainers and two phones."


async def take_in(api: LiveApi, body: Json) -> Json:
    answer = await api.client.post(
        "/referrals",
        json=body,
        headers={**api.staff.practitioner, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def post(api: LiveApi, path: str, body: Json, status: int = 201) -> Json:
    answer = await api.client.post(path, json=body, headers=api.staff.practitioner)
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def screener(api: LiveApi) -> dict[str, str]:
    """A second practitioner: the one who screens the later contact."""
    return api.staff.headers("sam.screener", StaffRole.practitioner)


async def test_a_second_contact_at_a_known_place_shows_the_first_child(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    first = await take_in(live_api, contact(TYLER, [MOTHER], "Found at a flat on Canal Street."))
    tyler = first["referral_id"]
    view = await api.get(f"/tasks/{first['screening_task_id']}", headers=staff.practitioner)
    assert view.status_code == 200 and view.json()["linked_children"] == []
    place = await post(live_api, "/places", {"kind": "address", "name": "The Canal Street flat",
                                             "description": "Children seen going in late.",
                                             "address": "Flat 2, 22 Canal Street"})  # fmt: skip
    assert place["address"] == "Flat 2, 22 Canal Street" and place["place_kind"] == "address"
    link = await post(live_api, f"/referrals/{tyler}/links",
                      {"kind": "place", "entity_id": place["entity_id"],
                       "reason": "Police found him at the flat."})  # fmt: skip
    assert (
        link["linked_by"] == "pat.practitioner" and link["entity_name"] == "The Canal Street flat"
    )
    again = await post(live_api, f"/referrals/{tyler}/links",
                       {"kind": "place", "entity_id": place["entity_id"], "reason": "Again."},
                       status=200)  # fmt: skip
    assert again["link_id"] == link["link_id"]  # one open link per case and place

    second = await take_in(live_api, contact(KAI, [], MISSING))
    kai, task_id = second["referral_id"], second["screening_task_id"]
    shown = await api.get(f"/tasks/{task_id}", headers=screener(live_api))

    assert shown.status_code == 200, shown.text
    assert shown.json()["linked_children"] == [
        {"referral_id": tyler, "stage": "screening", "via": "place",
         "entity_id": place["entity_id"], "entity_name": "The Canal Street flat",
         "child_name": "Tyler Brown", "why": "the child's address is this place"}
    ]  # fmt: skip
    page = await api.get(f"/referrals/{kai}", headers=screener(live_api))
    assert [c["referral_id"] for c in page.json()["linked_children"]] == [tyler]
    # Partners see neither the screening task nor the case, nor make or read links.
    police = staff.agency(Agency.police)
    assert (await api.get(f"/tasks/{task_id}", headers=police)).status_code == 403
    assert (await api.get(f"/referrals/{kai}", headers=police)).status_code == 403
    assert (await api.get(f"/referrals/{tyler}/links", headers=police)).status_code == 403
    made = await api.post("/places", json={"kind": "park", "name": "x"}, headers=police)
    assert made.status_code == 403
    # The second screener's reads are in the first child's access audit; a partner's refused
    # attempt is there too (403), and no read of theirs was answered.
    audit = (await api.get(f"/referrals/{tyler}/audit", headers=staff.manager)).json()
    reads = {(a["user_id"], a["route"], a["status"]) for a in audit["accesses"]}
    assert ("sam.screener", "/tasks/{task_id}", 200) in reads
    assert ("sam.screener", "/referrals/{referral_id}", 200) in reads
    assert {a["status"] for a in audit["accesses"] if a["agency"]} == {403}

    # A partner's agency check on the second case carries no linked children.
    screened = await complete(
        live_api, staff.practitioner, task_id,
        {"kind": "screening", "rag": "amber", "rationale": "Checks needed.",
         "exploitation": NONE_SEEN,
         "agencies": ["police"]},
    )  # fmt: skip
    check = next(t["task_id"] for t in screened["opened_tasks"] if t["kind"] == "agency_check")
    partner_view = (await api.get(f"/tasks/{check}", headers=police)).json()
    assert "linked_children" not in partner_view and "Tyler" not in str(partner_view)

    # Ended, not deleted: the first child no longer shows; the link stays with who and why.
    ended = await post(live_api, f"/referrals/{tyler}/links/{link['link_id']}/end",
                       {"reason": "He was visiting a cousin; no concern."}, status=200)  # fmt: skip
    assert ended["ended_by"] == "pat.practitioner" and ended["ended_at"]
    await post(live_api, f"/referrals/{tyler}/links/{link['link_id']}/end", {"reason": "x"}, 409)
    listed = (await api.get(f"/referrals/{tyler}/links", headers=staff.practitioner)).json()
    assert [(k["reason"], k["end_reason"]) for k in listed["links"]] == [
        ("Police found him at the flat.", "He was visiting a cousin; no concern.")
    ]
    page = await api.get(f"/referrals/{kai}", headers=staff.practitioner)
    assert page.json()["linked_children"] == []
    async with live_api.pool.acquire() as conn:
        with pytest.raises(asyncpg.RaiseError):
            await conn.execute("DELETE FROM case_link")
        sealed = await conn.fetchval("SELECT body FROM place")
    assert b"Canal" not in bytes(sealed)


async def test_an_adult_of_concern_in_a_later_household_shows_the_linked_child(
    live_api: LiveApi,
) -> None:
    api = live_api.client
    first = await take_in(live_api, contact(TYLER, [MOTHER, DEAN], "Uncle picks him up late."))
    found = await post(
        live_api,
        "/people/search",
        {"name": "Dean Carter", "date_of_birth": "1985-02-02"},
        status=200,
    )
    dean = found["candidates"][0]["person"]["person_id"]
    adult = await post(
        live_api,
        "/adults-of-concern",
        {"person_id": dean, "why": "Seen driving children out of town."},
    )
    assert adult["name"] == "Dean Carter" and adult["kind"] == "adult"
    await post(
        live_api,
        f"/referrals/{first['referral_id']}/links",
        {"kind": "adult", "entity_id": adult["entity_id"], "reason": "His uncle."},
    )
    nobody = {"person_id": str(uuid.uuid4()), "why": "x"}
    missing = await api.post("/adults-of-concern", json=nobody, headers=live_api.staff.practitioner)
    assert missing.status_code == 404

    later = await take_in(live_api, contact(AMIR, [{**DEAN, "address": "9 New Road"}], "Tired."))
    shown = await api.get(f"/tasks/{later['screening_task_id']}", headers=screener(live_api))
    linked = shown.json()["linked_children"]
    assert [(c["referral_id"], c["via"], c["why"]) for c in linked] == [
        (first["referral_id"], "adult", "a household member is this adult of concern")
    ]
    assert shown.json()["exploitation_prompts"] == []  # "Tired." mentions nothing


async def test_the_keyword_prompt_names_what_a_neglect_concern_mentions(live_api: LiveApi) -> None:
    created = await take_in(live_api, contact(KAI, [], MISSING))
    shown = await live_api.client.get(
        f"/tasks/{created['screening_task_id']}", headers=live_api.staff.practitioner
    )
    prompts = {p["indicator"]: p["matched"] for p in shown.json()["exploitation_prompts"]}
    assert prompts == {
        "going_missing": ["missing", "going missing"],
        "money_or_gifts": ["new trainers", "two phones"],
    }
    assert shown.json()["intake"]["categories"] == ["neglect"]  # nothing was ticked


async def test_the_network_around_a_case_as_json_svg_and_a_page(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    tyler = (await take_in(live_api, contact(TYLER, [], "Out late.")))["referral_id"]
    kai = (await take_in(live_api, contact(KAI, [], "Out late.")))["referral_id"]
    amir = (await take_in(live_api, contact(AMIR, [], "Out late.")))["referral_id"]
    place = await post(live_api, "/places", {"kind": "park", "name": "Mill Park skate ramp"})
    described = {"name": "The Mill Lane boys", "description": "Five or six boys, 13 to 15."}
    group = await post(live_api, "/peer-groups", described)
    for referral, entity in ((tyler, place), (kai, place), (tyler, group), (amir, group)):
        await post(live_api, f"/referrals/{referral}/links",
                   {"kind": entity["kind"], "entity_id": entity["entity_id"],
                    "reason": "Seen together at the ramp."})  # fmt: skip

    answer = await api.get(f"/referrals/{tyler}/network", headers=staff.practitioner)

    assert answer.status_code == 200, answer.text
    net = answer.json()
    assert [(n["kind"], n["label"], n["centre"]) for n in net["nodes"]] == [
        ("child", "Tyler Brown", True),
        ("place", "Mill Park skate ramp", False),
        ("peer_group", "The Mill Lane boys", False),
        ("child", "Kai Osei", False),
        ("child", "Amir Hassan", False),
    ]
    edges = {(e["source"], e["target"]) for e in net["edges"]}
    assert edges == {
        (f"child:{tyler}", f"place:{place['entity_id']}"),
        (f"child:{kai}", f"place:{place['entity_id']}"),
        (f"child:{tyler}", f"peer_group:{group['entity_id']}"),
        (f"child:{amir}", f"peer_group:{group['entity_id']}"),
    }
    svg = await api.get(f"/referrals/{tyler}/network.svg", headers=staff.practitioner)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.count("<line") == 4 and "Kai Osei" in svg.text and "<script" not in svg.text
    page = await api.get(f"/referrals/{tyler}/network", params={"format": "html"},
                         headers=staff.practitioner)  # fmt: skip
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]
    assert "<svg" in page.text and "<script" not in page.text
    assert page.text.count('<tr id="link-') == 4 and 'id="nodes"' in page.text
    # Partners never see it; every case it showed has the read in its audit.
    police = staff.agency(Agency.police)
    assert (await api.get(f"/referrals/{tyler}/network", headers=police)).status_code == 403
    assert (await api.get(f"/referrals/{tyler}/network.svg", headers=police)).status_code == 403
    for referral in (kai, amir):
        audit = (await api.get(f"/referrals/{referral}/audit", headers=staff.manager)).json()
        routes = {a["route"] for a in audit["accesses"] if a["user_id"] == "pat.practitioner"}
        assert "/referrals/{referral_id}/network" in routes
        assert "/referrals/{referral_id}/network.svg" in routes
