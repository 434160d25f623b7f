"""Referral routes over HTTP, with a real worker, the Temporal dev server and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from domain.referral import workflow_id_for
from domain.tasks import Agency
from tests.api.conftest import TEST_SECRET, ClientFactory, LiveApi
from tests.api.driver import NONE_SEEN
from tests.ports import free_port
from tests.workflows.driver import referral_details


def intake_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = referral_details(datetime.now(UTC) - timedelta(minutes=5)).model_dump(
        mode="json"
    )
    body.update(changes)
    return body


SCREENED: dict[str, Any] = {
    "kind": "screening",
    "exploitation": NONE_SEEN,
    "rag": "amber",
    "rationale": "Checks needed.",
    "agencies": ["police"],
}


async def test_intake_answers_with_the_screening_task_already_in_the_inbox(
    live_api: LiveApi,
) -> None:
    api, staff = live_api.client, live_api.staff
    created = await api.post("/referrals", json=intake_body(), headers=staff.practitioner)
    assert created.status_code == 201
    referral_id = created.json()["referral_id"]
    task_id = created.json()["screening_task_id"]
    assert created.json()["url"] == f"/referrals/{referral_id}"
    assert created.headers["Location"] == f"/referrals/{referral_id}"

    # No waiting from here on: the answer came once the task was in the inbox.
    state = (await api.get(f"/referrals/{referral_id}", headers=staff.manager)).json()
    assert state["referral_id"] == referral_id and state["stage"] == "screening"
    assert state["deadlines"]["screening"]
    screening = next(t for t in state["tasks"] if t["kind"] == "screening")
    assert screening["task_id"] == task_id
    assert screening["status"] == "open" and screening["assignee"] is None
    inbox = await api.get("/tasks", params={"kind": "screening"}, headers=staff.practitioner)
    assert [row["task_id"] for row in inbox.json()["items"]] == [task_id]
    screened = await api.post(
        f"/tasks/{task_id}/complete",
        json={"result": SCREENED},
        headers={**staff.practitioner, "Idempotency-Key": f"screen-{task_id}"},
    )
    assert screened.status_code == 200, screened.text
    assert screened.json()["stage"] == "checks"


async def test_a_repeated_intake_answers_with_the_same_referral_and_screening_task(
    live_api: LiveApi, dev_env: WorkflowEnvironment
) -> None:
    api, headers = live_api.client, {**live_api.staff.practitioner, "Idempotency-Key": "intake-7"}
    body = intake_body()
    first = await api.post("/referrals", json=body, headers=headers)
    repeats = [await api.post("/referrals", json=body, headers=headers) for _ in range(2)]
    assert [r.status_code for r in (first, *repeats)] == [201, 200, 200]
    assert all(r.json() == first.json() for r in repeats)
    assert "Location" not in repeats[0].headers

    # A closed case still answers a repeat with what its intake made, and still refuses reuse.
    case = dev_env.client.get_workflow_handle(workflow_id_for(UUID(first.json()["referral_id"])))
    await case.terminate(reason="test: a closed case")
    closed = await api.post("/referrals", json=body, headers=headers)
    assert closed.status_code == 200 and closed.json() == first.json()
    reused = await api.post("/referrals", json=intake_body(concern="Another."), headers=headers)
    assert reused.status_code == 422
    assert reused.json()["error"]["details"][0]["field"] == "Idempotency-Key"

    # Without a key, the same intake is not a repeat: it is about a child with an open case
    # (the terminated case's record still shows it open), which the screener must choose on.
    practitioner = live_api.staff.practitioner
    stopped = await api.post("/referrals", json=body, headers=practitioner)
    assert stopped.status_code == 409 and stopped.json()["error"]["code"] == "open_case"
    [(field, open_case)] = [
        (d["field"], d["referral_id"]) for d in stopped.json()["error"]["details"]
    ]
    assert (field, open_case) == ("child", first.json()["referral_id"])
    # Given a reason for a new case, each intake without a key is a referral of its own.
    anyway = {**body, "new_case_reason": "A second contact, kept apart by the screener."}
    made = [await api.post("/referrals", json=anyway, headers=practitioner) for _ in range(2)]
    assert [r.status_code for r in made] == [201, 201], made[-1].text
    plain = [r.json() for r in made]
    assert len({first.json()["referral_id"], *(p["referral_id"] for p in plain)}) == 3
    assert plain[0]["screening_task_id"] != plain[1]["screening_task_id"]


async def test_who_may_take_in_and_read_referrals(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    assert (await api.post("/referrals", json=intake_body())).status_code == 401
    bad = await api.post(
        "/referrals", json=intake_body(), headers={"Authorization": "Bearer not-a-token"}
    )
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthenticated"
    for outsider in (staff.engineer, staff.agency(Agency.police)):
        forbidden = await api.post("/referrals", json=intake_body(), headers=outsider)
        assert forbidden.status_code == 403
        assert "practitioner, manager" in forbidden.json()["error"]["message"]
    assert (await api.get("/referrals", headers=staff.practitioner)).status_code == 403


async def test_invalid_intakes_name_the_field(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    cases = {
        "received_at": intake_body(received_at=future),
        "source": intake_body(source="11Z"),
        "nickname": intake_body(nickname="unexpected"),
        "consent_reason": intake_body(consent="refused"),
        "categories": intake_body(categories=[]),
    }
    for field, body in cases.items():
        response = await api.post("/referrals", json=body, headers=staff.practitioner)
        assert response.status_code == 422, field
        assert field in json.dumps(response.json()["error"]), field
    malformed = await api.post(
        "/referrals",
        content=b"{not json",
        headers={**staff.practitioner, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 422
    huge = await api.post(
        "/referrals", json=intake_body(concern="x" * 300_000), headers=staff.practitioner
    )
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "payload_too_large"


async def test_the_same_intake_ten_times_at_once_makes_one_referral(live_api: LiveApi) -> None:
    headers = {**live_api.staff.practitioner, "Idempotency-Key": "intake-42"}
    body = intake_body()
    responses = await asyncio.gather(
        *(live_api.client.post("/referrals", json=body, headers=headers) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({r.json()["referral_id"] for r in responses}) == 1
    assert len({r.json()["screening_task_id"] for r in responses}) == 1
    async with live_api.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM referral") == 1
        tasks = await conn.fetch("SELECT task_id, kind FROM task ORDER BY kind")
    # One screening and one acknowledgement of the referrer, for the one referral.
    assert [t["kind"] for t in tasks] == ["acknowledgement", "screening"]
    assert str(tasks[1]["task_id"]) == responses[0].json()["screening_task_id"]

    reused = await live_api.client.post(
        "/referrals", json=intake_body(concern="A different concern."), headers=headers
    )
    assert reused.status_code == 422
    assert "already used for a different referral" in reused.json()["error"]["message"]


async def test_managers_list_cases_by_what_is_due_next(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    ids = []
    children = [
        intake_body()["child"],
        {**intake_body()["child"], "name": "Robin Other", "date_of_birth": "2016-07-20",
         "address": "9 Other Road"},
    ]  # fmt: skip
    for minutes, child in zip((30, 90), children, strict=True):
        body = intake_body(
            child=child, received_at=(datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
        )
        created = await api.post("/referrals", json=body, headers=staff.practitioner)
        assert created.status_code == 201, created.text
        ids.append(created.json())

    page = await api.get("/referrals", params={"stage": "screening"}, headers=staff.manager)
    assert page.status_code == 200
    items = page.json()["items"]
    assert page.json()["total"] == 2
    # Received 90 minutes ago, so its screening is due first.
    assert [i["referral_id"] for i in items] == [ids[1]["referral_id"], ids[0]["referral_id"]]
    assert set(items[0]) == {
        "referral_id", "received_at", "stage", "rag", "next_due_at", "overdue",
        "escalation_level", "re_referral", "outcome",
    }  # fmt: skip
    closed = await api.get("/referrals", params={"stage": "closed"}, headers=staff.manager)
    assert closed.json()["total"] == 0
    bad = await api.get("/referrals", params={"rag": "purple"}, headers=staff.manager)
    assert bad.status_code == 422 and "rag" in bad.json()["error"]["message"]


async def test_unknown_and_malformed_referral_ids(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    missing = await api.get(
        "/referrals/00000000-0000-4000-8000-000000000000", headers=staff.manager
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["message"].endswith("was not found")
    assert (await api.get("/referrals/not-a-uuid", headers=staff.manager)).status_code == 422


async def test_new_information_opens_a_review_and_partners_need_a_task_on_the_case(
    live_api: LiveApi,
) -> None:
    api, staff = live_api.client, live_api.staff
    created = await api.post("/referrals", json=intake_body(), headers=staff.practitioner)
    referral_id = created.json()["referral_id"]

    added = await api.post(
        f"/referrals/{referral_id}/information",
        json={"text": "Neighbour reports shouting.", "source": "neighbour"},
        headers=staff.practitioner,
    )
    assert added.status_code == 200
    review_id = added.json()["review_task_id"]
    state = (await api.get(f"/referrals/{referral_id}", headers=staff.manager)).json()
    assert any(t["task_id"] == review_id and t["kind"] == "review_new_information"
               for t in state["tasks"])  # fmt: skip
    partner = await api.post(
        f"/referrals/{referral_id}/information",
        json={"text": "We know the family.", "source": "police"},
        headers=staff.agency(Agency.police),
    )
    assert partner.status_code == 404
    extra = await api.post(
        f"/referrals/{referral_id}/information",
        json={"text": "x", "source": "y", "urgent": True},
        headers=staff.practitioner,
    )
    assert extra.status_code == 422 and "urgent" in json.dumps(extra.json())


async def test_temporal_or_postgresql_down_is_503_naming_the_part(
    api_client_for: ClientFactory, dev_env: WorkflowEnvironment, database_url: str
) -> None:
    from tests.api.conftest import Staff

    no_temporal = Settings(
        temporal_address=f"127.0.0.1:{free_port()}", database_url=database_url,
        auth_secret=TEST_SECRET,
    )  # fmt: skip
    staff = Staff(no_temporal)
    async with api_client_for(no_temporal) as client:
        response = await client.post("/referrals", json=intake_body(), headers=staff.practitioner)
    assert response.status_code == 503
    assert response.json()["error"]["details"] == [{"part": "temporal"}]

    no_database = Settings(
        temporal_address=dev_env.client.service_client.config.target_host,
        database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none",
        auth_secret=TEST_SECRET,
    )
    async with api_client_for(no_database) as client:
        listing = await client.get("/referrals", headers=staff.manager)
    assert listing.status_code == 503
    assert listing.json()["error"]["details"] == [{"part": "postgresql"}]


async def test_openapi_describes_the_referral_routes(api_client: httpx.AsyncClient) -> None:
    spec = (await api_client.get("/openapi.json")).json()
    assert {
        "/referrals",
        "/referrals/{referral_id}",
        "/referrals/{referral_id}/information",
    } <= set(spec["paths"])
