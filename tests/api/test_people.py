"""People over HTTP, with a real worker, the Temporal dev server and PostgreSQL: a family's
children as linked cases, person search, a contact about a child with an open case, and the
household on the partners' checks. Each test stops at intake or the checks (the later stages of
the process are not theirs)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import NONE_SEEN, complete

Json = dict[str, Any]


def contact(children: list[Json], **changes: Any) -> Json:
    body: Json = {
        "received_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "source": "2A",
        "referrer": {"name": "A Teacher", "organisation": "Example Primary", "phone": "0100"},
        "children": children,
        "household": [
            {"name": "Pat Smith", "relationship": "mother", "parental_responsibility": True,
             "date_of_birth": "1990-06-01"},
            {"name": "Lee Jones", "aliases": ["Lee Smith"], "relationship": "mother's partner",
             "age_estimate_years": 40, "address": "9 Other Road"},
        ],
        "concern": "The three children arrive hungry; shouting heard at night.",
        "categories": ["neglect"],
        "consent": "given",
    }  # fmt: skip
    body.update(changes)
    return body


JAYDEN = {"name": "Jayden Smith", "date_of_birth": "2015-03-04", "address": "3 High Street"}
MIA = {"name": "Mia Smith", "date_of_birth": "2017-09-20", "address": "3 High Street"}
NOAH = {"name": "Noah Smith", "age_estimate_years": 4, "address": "3 High Street"}


async def take_in(api: LiveApi, body: Json, status: int = 201) -> Json:
    answer = await api.client.post(
        "/referrals",
        json=body,
        headers={**api.staff.practitioner, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == status, answer.text
    return dict(answer.json())


async def test_a_family_contact_makes_one_linked_case_per_child(live_api: LiveApi) -> None:
    created = await take_in(live_api, contact([JAYDEN, MIA, NOAH]))
    cases = created["cases"]
    assert [case["child_index"] for case in cases] == [0, 1, 2]
    assert created["referral_id"] == cases[0]["referral_id"]
    assert created["screening_task_id"] == cases[0]["screening_task_id"]
    ids = [case["referral_id"] for case in cases]
    assert len(set(ids)) == 3 and all(case["screening_task_id"] for case in cases)
    for case in cases:
        page = await live_api.client.get(case["url"], headers=live_api.staff.manager)
        assert page.status_code == 200, page.text
        assert page.json()["stage"] == "screening"
        siblings = page.json()["siblings"]
        assert {s["referral_id"] for s in siblings} == set(ids) - {case["referral_id"]}
        assert {s["stage"] for s in siblings} == {"screening"}
        # The screener sees the same siblings on the screening task.
        screening = await live_api.client.get(
            f"/tasks/{case['screening_task_id']}", headers=live_api.staff.practitioner
        )
        assert screening.status_code == 200, screening.text
        assert {s["referral_id"] for s in screening.json()["siblings"]} == set(ids) - {
            case["referral_id"]
        }
    first = (await live_api.client.get(cases[0]["url"], headers=live_api.staff.manager)).json()
    assert first["intake"]["child"]["name"] == "Jayden Smith"
    assert [m["name"] for m in first["intake"]["household"]] == ["Pat Smith", "Lee Jones"]


async def test_a_misspelt_child_with_a_swapped_date_of_birth_is_found_with_reasons(
    live_api: LiveApi,
) -> None:
    created = await take_in(live_api, contact([JAYDEN, MIA]))
    searched = await live_api.client.post(
        "/people/search",
        json={"name": "Jaiden Smyth", "date_of_birth": "2015-04-03", "address": "1 New Road"},
        headers=live_api.staff.practitioner,
    )
    assert searched.status_code == 200, searched.text
    best = searched.json()["candidates"][0]
    assert best["person"]["name"] == "Jayden Smith"
    assert best["person"]["cases"] == [
        {"referral_id": created["referral_id"], "role": "subject", "stage": "screening"}
    ]
    assert "date of birth matches with day and month swapped" in best["reasons"]
    assert "name sounds alike" in best["reasons"]
    assert 0.5 < best["score"] < 1
    names = [c["person"]["name"] for c in searched.json()["candidates"]]
    assert "Lee Jones" not in names  # an adult with nothing in common is no candidate

    # The search is in the access audit of the case it showed.
    audit = await live_api.client.get(
        f"/referrals/{created['referral_id']}/audit", headers=live_api.staff.manager
    )
    routes = [(a["method"], a["route"]) for a in audit.json()["accesses"]]
    assert ("POST", "/people/search") in routes


async def test_a_screener_decision_on_a_match_is_on_both_records(live_api: LiveApi) -> None:
    await take_in(live_api, contact([JAYDEN]))
    again = await take_in(live_api, contact([{**JAYDEN, "name": "Jaiden Smith"}]), status=409)
    assert again["error"]["code"] == "open_case"
    await take_in(
        live_api, contact([{**JAYDEN, "name": "Jaiden Smith", "new_case_reason": "Twins."}])
    )
    found = await live_api.client.post(
        "/people/search", json={"name": "Jayden Smith"}, headers=live_api.staff.practitioner
    )
    person, other = (c["person"]["person_id"] for c in found.json()["candidates"][:2])
    decided = await live_api.client.post(
        f"/people/{person}/matches",
        json={"candidate_id": other, "decision": "rejected", "score": 0.9},
        headers=live_api.staff.practitioner,
    )
    assert decided.status_code == 201, decided.text
    for one, two in ((person, other), (other, person)):
        page = (await live_api.client.get(f"/people/{one}", headers=live_api.staff.manager)).json()
        assert [(m["candidate_id"], m["decision"], m["decided_by"]) for m in page["matches"]] == [
            (two, "rejected", "pat.practitioner")
        ]
    refused = await live_api.client.post(
        f"/people/{person}/matches",
        json={"candidate_id": person, "decision": "confirmed"},
        headers=live_api.staff.practitioner,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "candidate_id"
    police = live_api.staff.agency(Agency.police)
    partner = await live_api.client.post(
        "/people/search", json={"name": "Jayden Smith"}, headers=police
    )
    assert partner.status_code == 403


async def test_a_contact_about_a_child_with_an_open_case_lands_on_that_case(
    live_api: LiveApi,
) -> None:
    first = await take_in(live_api, {**contact([]), "children": None, "child": JAYDEN})
    open_id = first["referral_id"]
    later = {**contact([]), "children": None, "child": {**JAYDEN, "name": "Jaiden Smith"}}
    later["concern"] = "Seen out alone at 11pm by a neighbour."
    refused = await take_in(live_api, later, status=409)
    error = refused["error"]
    assert error["code"] == "open_case"
    assert [(d["field"], d["referral_id"], d["stage"]) for d in error["details"]] == [
        ("child", open_id, "screening")
    ]
    assert "same date of birth" in error["details"][0]["reasons"]

    added = await take_in(live_api, {**later, "child": {**later["child"], "add_to_case": open_id}},
                          status=200)  # fmt: skip
    assert added["referral_id"] == open_id and added["screening_task_id"] is None
    assert added["cases"][0]["added_to_open_case"] is True
    page = (await live_api.client.get(added["url"], headers=live_api.staff.manager)).json()
    assert [item["text"] for item in page["information"]] == [later["concern"]]
    assert "Example Primary" in page["information"][0]["source"]
    review = added["cases"][0]["review_task_id"]
    assert review is None or review in {t["task_id"] for t in page["tasks"]}
    listed = await live_api.client.get("/referrals", headers=live_api.staff.manager)
    assert listed.json()["total"] == 1  # no second case, no re-referral


async def test_partners_see_the_household_on_their_own_check_only(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    created = await take_in(live_api, contact([JAYDEN, MIA]))
    referral_id = created["referral_id"]
    screened = await complete(
        live_api,
        staff.practitioner,
        created["screening_task_id"],
        {"kind": "screening", "rag": "amber", "rationale": "Checks needed.",
         "exploitation": NONE_SEEN,
         "agencies": ["police", "health"]},
    )  # fmt: skip
    police_check = opened_check(screened, "police")
    health_check = opened_check(screened, "health")
    expected = [
        {"name": "Pat Smith", "aliases": [], "date_of_birth": "1990-06-01",
         "age_estimate_years": None, "address": "3 High Street"},
        {"name": "Lee Jones", "aliases": ["Lee Smith"], "date_of_birth": None,
         "age_estimate_years": 40, "address": "9 Other Road"},
    ]  # fmt: skip
    police, health = staff.agency(Agency.police), staff.agency(Agency.health)
    for headers, task_id in ((police, police_check), (health, health_check)):
        shown = await api.get(f"/tasks/{task_id}", headers=headers)
        assert shown.status_code == 200, shown.text
        assert shown.json()["household"] == expected
        assert "mother" not in shown.text  # the relationship is not what the search needs
    for headers, task_id in (
        (police, health_check),
        (health, police_check),
        (staff.agency(Agency.education), police_check),
        (staff.practitioner, police_check),
    ):
        assert (await api.get(f"/tasks/{task_id}", headers=headers)).status_code == 403
    async with live_api.pool.acquire() as conn:
        reads = await conn.fetch(
            "SELECT person_id, user_id, agency, task_id FROM person_access ORDER BY access_id"
        )
        household = await conn.fetch(
            "SELECT person_id FROM case_person WHERE referral_id = $1 AND role = 'household'",
            uuid.UUID(referral_id),
        )
    assert [(r["agency"], str(r["task_id"])) for r in reads] == [
        ("police", police_check), ("police", police_check),
        ("health", health_check), ("health", health_check),
    ]  # fmt: skip
    assert {r["person_id"] for r in reads} == {h["person_id"] for h in household}
    audit = (await api.get(f"/referrals/{referral_id}/audit", headers=staff.manager)).json()
    task_reads = [(a["agency"], a["status"]) for a in audit["accesses"]
                  if a["route"] == "/tasks/{task_id}" and a["method"] == "GET"]  # fmt: skip
    assert ("police", 200) in task_reads and ("health", 200) in task_reads


def opened_check(answer: Json, agency: str) -> str:
    return str(
        next(t["task_id"] for t in answer["opened_tasks"]
             if t["kind"] == "agency_check" and t["agency"] == agency)
    )  # fmt: skip
