"""Task routes over HTTP, with a real worker, the Temporal dev server and PostgreSQL: the inbox,
who may see and open which task, claiming and assigning, and completing tasks exactly once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.auth import StaffRole
from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import NONE_SEEN, drive_to_closed
from tests.workflows.driver import LIVED_EXPERIENCE, referral_details

Json = dict[str, Any]

SCREENING: Json = {
    "kind": "screening",
    "exploitation": NONE_SEEN,
    "rag": "amber",
    "rationale": "Checks needed.",
    "agencies": ["police", "health"],
}
POLICE_ANSWER = "Police attended the address twice last year."
HEALTH_ANSWER = "Missed two health visitor appointments."
DECISION: Json = {
    "kind": "decision",
    "exploitation": NONE_SEEN,
    "outcome": "nfa",
    "rationale": "Concerns do not meet the threshold.",
    "lived_experience": LIVED_EXPERIENCE,
    "household_considered": ["Pat Example"],
}


def check(information: str) -> Json:
    return {
        "kind": "agency_check",
        "known_to_agency": True,
        "information": information,
        "responder_name": "Duty officer",
    }


async def take_in(api: LiveApi) -> str:
    """A new referral through the API; its id."""
    details = referral_details(datetime.now(UTC) - timedelta(minutes=5))
    created = await api.client.post(
        "/referrals", json=details.model_dump(mode="json"), headers=api.staff.practitioner
    )
    assert created.status_code == 201, created.text
    return str(created.json()["referral_id"])


async def wait_for_task(
    api: LiveApi, headers: dict[str, str], referral_id: str, kind: str, agency: str | None = None
) -> Json:
    """Poll the caller's inbox until the referral's open task of `kind` shows up."""
    for _ in range(300):
        listed = await api.client.get("/tasks", params={"kind": kind}, headers=headers)
        assert listed.status_code == 200, listed.text
        for row in listed.json()["items"]:
            if row["referral_id"] == referral_id and (agency is None or row["agency"] == agency):
                return dict(row)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {kind} task of {referral_id} in the inbox")


async def complete(
    api: LiveApi, headers: dict[str, str], task_id: str, result: Json, key: str | None = None
) -> httpx.Response:
    return await api.client.post(
        f"/tasks/{task_id}/complete",
        json={"result": result},
        headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
    )


def error_fields(response: httpx.Response) -> set[str]:
    return {str(d.get("field")) for d in response.json()["error"]["details"]}


async def test_the_inbox_needs_a_token_and_a_role(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    task = f"/tasks/{uuid.uuid4()}"
    for method, path in (("GET", "/tasks"), ("GET", task), ("POST", f"{task}/claim")):
        missing = await api.request(method, path)
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "unauthenticated"
        bad = await api.request(method, path, headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401
    engineer = await api.get("/tasks", headers=staff.engineer)
    assert engineer.status_code == 403
    assert engineer.json()["error"]["code"] == "forbidden"
    assert (await api.get(task, headers=staff.engineer)).status_code == 403
    assert (await api.get(task, headers=staff.practitioner)).status_code == 404
    malformed = await api.get("/tasks/not-a-uuid", headers=staff.practitioner)
    assert malformed.status_code == 422
    assert error_fields(malformed) == {"task_id"}
    paging = await api.get("/tasks", params={"limit": 0}, headers=staff.manager)
    assert paging.status_code == 422
    assert error_fields(paging) == {"limit"}
    spec = (await api.get("/openapi.json")).json()
    assert {"/tasks", "/tasks/{task_id}", "/tasks/{task_id}/complete"} <= set(spec["paths"])


async def test_claims_race_and_managers_assign(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await take_in(live_api)
    task = await wait_for_task(live_api, staff.practitioner, referral_id, "screening")
    assert task["assignee"] is None and task["status"] == "open" and task["overdue"] is False
    # The referrer's acknowledgement opened with the screening, in the same inbox.
    ack = await wait_for_task(live_api, staff.practitioner, referral_id, "acknowledgement")
    path = f"/tasks/{task['task_id']}"
    ann = staff.headers("ann.smith", StaffRole.practitioner)
    bob = staff.headers("bob.jones", StaffRole.practitioner)

    first, second = await asyncio.gather(
        api.post(f"{path}/claim", headers=ann), api.post(f"{path}/claim", headers=bob)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner, loser = (first, second) if first.status_code == 200 else (second, first)
    holder = winner.json()["assignee"]
    assert holder in {"ann.smith", "bob.jones"}
    assert loser.json()["error"]["message"] == f"task {task['task_id']} is held by {holder}"
    holder_headers = ann if holder == "ann.smith" else bob
    other_headers = bob if holder == "ann.smith" else ann
    again = await api.post(f"{path}/claim", headers=holder_headers)
    assert again.status_code == 200 and again.json()["assignee"] == holder

    overdue = await api.get("/tasks", params={"overdue": "true"}, headers=staff.practitioner)
    assert overdue.status_code == 200 and overdue.json()["items"] == []
    in_time = await api.get("/tasks", params={"overdue": "false"}, headers=staff.practitioner)
    assert {row["task_id"] for row in in_time.json()["items"]} == {task["task_id"], ack["task_id"]}
    mine = await api.get("/tasks", params={"assignee": "me"}, headers=holder_headers)
    assert [row["task_id"] for row in mine.json()["items"]] == [task["task_id"]]
    theirs = await api.get("/tasks", params={"assignee": "me"}, headers=other_headers)
    assert theirs.status_code == 200 and theirs.json()["items"] == []

    refused = await api.post(f"{path}/release", headers=other_headers)
    assert refused.status_code == 403
    assert f"held by {holder}" in refused.json()["error"]["message"]
    released = await api.post(f"{path}/release", headers=holder_headers)
    assert released.status_code == 200 and released.json()["assignee"] is None

    not_manager = await api.post(f"{path}/assign", json={"user_id": "cy"}, headers=ann)
    assert not_manager.status_code == 403
    extra = await api.post(
        f"{path}/assign", json={"user_id": "cy", "note": "x"}, headers=staff.manager
    )
    assert extra.status_code == 422 and error_fields(extra) == {"note"}
    unknown = await api.post(
        f"/tasks/{uuid.uuid4()}/assign", json={"user_id": "cy"}, headers=staff.manager
    )
    assert unknown.status_code == 404
    # Only known staff of the task's team: someone who has signed in, a practitioner here.
    cy = staff.headers("cy", StaffRole.practitioner)
    never_seen = await api.post(f"{path}/assign", json={"user_id": "cy"}, headers=staff.manager)
    assert never_seen.status_code == 422 and error_fields(never_seen) == {"user_id"}
    assert (await api.get("/tasks", headers=cy)).status_code == 200
    assigned = await api.post(f"{path}/assign", json={"user_id": "cy"}, headers=staff.manager)
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "cy"
    taken = await api.post(f"{path}/claim", headers=ann)
    assert taken.status_code == 409 and "held by cy" in taken.json()["error"]["message"]

    # The case shows who holds its tasks.
    detail = await api.get(path, headers=staff.manager)
    assert detail.status_code == 200 and detail.json()["view"] == "staff"
    shown = {t["task_id"]: t["assignee"] for t in detail.json()["case"]["tasks"]}
    assert shown == {task["task_id"]: "cy", ack["task_id"]: None}

    not_holder = await complete(live_api, staff.practitioner, task["task_id"], SCREENING)
    assert not_holder.status_code == 403 and "held by cy" in not_holder.json()["error"]["message"]
    done = await complete(live_api, cy, task["task_id"], SCREENING)
    assert done.status_code == 200
    closed = await api.post(f"{path}/claim", headers=ann)
    assert closed.status_code == 409
    assert closed.json()["error"]["message"] == f"task {task['task_id']} is already completed"
    late = await api.post(f"{path}/assign", json={"user_id": "dee"}, headers=staff.manager)
    assert late.status_code == 409


async def test_a_completion_applies_once(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await take_in(live_api)
    task = await wait_for_task(live_api, staff.practitioner, referral_id, "screening")
    task_id = task["task_id"]

    first, second = await asyncio.gather(
        complete(live_api, staff.practitioner, task_id, SCREENING, key="key-a"),
        complete(live_api, staff.manager, task_id, SCREENING, key="key-b"),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner, loser = (first, second) if first.status_code == 200 else (second, first)
    winning_key = "key-a" if winner is first else "key-b"
    answer = winner.json()
    assert answer["task_id"] == task_id and answer["stage"] == "checks"
    assert len(answer["opened_task_ids"]) == 2
    assert loser.json()["error"] == {
        "code": "conflict",
        "message": f"task {task_id} is already completed",
        "details": [],
    }

    # The same submission again (a retry after a lost answer) gets the first answer, once.
    retry = await complete(
        live_api,
        staff.practitioner if winner is first else staff.manager,
        task_id,
        SCREENING,
        key=winning_key,
    )
    assert retry.status_code == 200 and retry.json() == answer
    async with live_api.pool.acquire() as conn:
        audits = await conn.fetchval(
            "SELECT count(*) FROM audit_event WHERE workflow_id = $1 AND step_key = $2",
            f"referral-{referral_id}",
            f"task/{task_id}/closed",
        )
        checks = await conn.fetchval(
            "SELECT count(*) FROM task WHERE referral_id = $1 AND kind = 'agency_check'",
            uuid.UUID(referral_id),
        )
    assert audits == 1 and checks == 2
    completed = await api.get(
        "/tasks", params={"status": "completed", "kind": "screening"}, headers=staff.manager
    )
    assert completed.status_code == 200
    assert [(r["task_id"], r["status"]) for r in completed.json()["items"]] == [
        (task_id, "completed")
    ]
    assert (await api.get("/tasks", params={"kind": "screening"}, headers=staff.manager)).json()[
        "items"
    ] == []


async def test_invalid_completions_name_the_problem(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await take_in(live_api)
    task = await wait_for_task(live_api, staff.practitioner, referral_id, "screening")
    path = f"/tasks/{task['task_id']}/complete"

    no_key = await api.post(path, json={"result": SCREENING}, headers=staff.practitioner)
    assert no_key.status_code == 422 and error_fields(no_key) == {"Idempotency-Key"}
    long_key = await complete(live_api, staff.practitioner, task["task_id"], SCREENING, "k" * 201)
    assert long_key.status_code == 422 and error_fields(long_key) == {"Idempotency-Key"}
    purple = await complete(
        live_api, staff.practitioner, task["task_id"], {**SCREENING, "rag": "purple"}
    )
    assert purple.status_code == 422
    assert error_fields(purple) == {"result.screening.rag"}
    assert "result.screening.rag" in purple.json()["error"]["message"]
    extra = await api.post(
        path,
        json={"result": SCREENING, "urgent": True},
        headers={**staff.practitioner, "Idempotency-Key": "x"},
    )
    assert extra.status_code == 422 and error_fields(extra) == {"urgent"}
    wrong_kind = await complete(live_api, staff.practitioner, task["task_id"], check("No."))
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["error"]["message"] == (
        f"task {task['task_id']} is a screening task; the result given is for a agency_check task"
    )
    no_task = await complete(live_api, staff.practitioner, str(uuid.uuid4()), SCREENING)
    assert no_task.status_code == 404
    not_json = await api.post(
        path,
        content=b"{not json",
        headers={**staff.practitioner, "Idempotency-Key": "y", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    # Nothing above reached the case: the screening is still open.
    assert (await api.get(f"/tasks/{task['task_id']}", headers=staff.practitioner)).json()["task"][
        "status"
    ] == "open"


async def test_partners_see_their_checks_only_and_the_case_reaches_the_decision(
    live_api: LiveApi,
) -> None:
    api, staff = live_api.client, live_api.staff
    police, health = staff.agency(Agency.police), staff.agency(Agency.health)
    referral_id = await take_in(live_api)
    screening = await wait_for_task(live_api, staff.practitioner, referral_id, "screening")
    # Partners see nothing of a case before they are asked.
    assert (await api.get("/tasks", headers=police)).json()["items"] == []
    forbidden = await api.get(f"/tasks/{screening['task_id']}", headers=police)
    assert forbidden.status_code == 403
    screened = await complete(live_api, staff.practitioner, screening["task_id"], SCREENING)
    assert screened.status_code == 200

    police_check = await wait_for_task(live_api, police, referral_id, "agency_check", "police")
    health_check = await wait_for_task(live_api, health, referral_id, "agency_check", "health")
    listed = (await api.get("/tasks", headers=police)).json()["items"]
    assert [row["task_id"] for row in listed] == [police_check["task_id"]]
    asked_for_health = await api.get("/tasks", params={"agency": "health"}, headers=police)
    assert asked_for_health.status_code == 200 and asked_for_health.json()["items"] == []
    for other in (health_check, screening):
        opened = await api.get(f"/tasks/{other['task_id']}", headers=police)
        assert opened.status_code == 403
    practitioner_on_police = await complete(
        live_api, staff.practitioner, police_check["task_id"], check("Not for me.")
    )
    assert practitioner_on_police.status_code == 403
    assert "agency:police" in practitioner_on_police.json()["error"]["message"]

    health_done = await complete(live_api, health, health_check["task_id"], check(HEALTH_ANSWER))
    assert health_done.status_code == 200 and health_done.json()["stage"] == "checks"
    mine = await api.get(f"/tasks/{police_check['task_id']}", headers=police)
    assert mine.status_code == 200
    body = mine.json()
    assert set(body) == {"view", "task", "child", "concern", "household"}
    assert body["view"] == "partner"
    assert body["child"] == {
        "name": "Sam Example",
        "date_of_birth": "2019-03-01",
        "expected_due_date": None,
        "address": "1 Example Street",
        "nhs_number": None,
    }
    assert body["concern"] == "Arrives hungry most days; bruising seen on the arm."
    # The household, to search the police's records for: who they are and where, nothing more.
    assert body["household"] == [
        {
            "name": "Pat Example",
            "aliases": [],
            "date_of_birth": None,
            "age_estimate_years": None,
            "address": "1 Example Street",
        }
    ]
    assert body["task"]["task_id"] == police_check["task_id"]
    for hidden in (HEALTH_ANSWER, "A Teacher", "Checks needed", "decision", "mother", "parental"):
        assert hidden not in mine.text

    police_done = await complete(live_api, police, police_check["task_id"], check(POLICE_ANSWER))
    assert police_done.status_code == 200 and police_done.json()["stage"] == "decision"
    decision = await wait_for_task(live_api, staff.manager, referral_id, "decision")
    assert decision["team"] == "front_door_managers"
    assert decision["task_id"] in police_done.json()["opened_task_ids"]
    assert (await api.get("/tasks", params={"kind": "decision"}, headers=police)).json()[
        "items"
    ] == []
    assert (await api.get(f"/tasks/{decision['task_id']}", headers=police)).status_code == 403
    shown = await api.get(f"/tasks/{decision['task_id']}", headers=staff.manager)
    assert shown.status_code == 200
    case = shown.json()["case"]
    assert case["stage"] == "decision"
    answers = {t["agency"]: t["result"]["information"] for t in case["tasks"] if t["agency"]}
    assert answers == {"police": POLICE_ANSWER, "health": HEALTH_ANSWER}
    assert shown.json()["intake"]["child"]["name"] == "Sam Example"

    # The decision ends the process; the case waits at its last stage for the referrer to be
    # acknowledged and told. A retry of the decision still gets its first answer.
    decided = await complete(live_api, staff.manager, decision["task_id"], DECISION, key="d-1")
    assert decided.status_code == 200 and decided.json()["stage"] == "decision"
    assert [t["kind"] for t in decided.json()["opened_tasks"]] == ["referrer_feedback"]
    retried = await complete(live_api, staff.manager, decision["task_id"], DECISION, key="d-1")
    assert retried.status_code == 200 and retried.json() == decided.json()
    again = await complete(live_api, staff.manager, decision["task_id"], DECISION, key="d-2")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == f"task {decision['task_id']} is already completed"
    case = await drive_to_closed(live_api, referral_id)  # the acknowledgement and the feedback
    assert {"acknowledged", "referrer_told"} <= set(case["milestones"])
    after = await complete(live_api, staff.manager, decision["task_id"], DECISION, key="d-3")
    assert after.status_code == 409
    assert after.json()["error"]["message"] == (
        f"task {decision['task_id']} is already completed; the case is closed"
    )
    closed = await api.get(f"/tasks/{decision['task_id']}", headers=staff.manager)
    assert closed.status_code == 200 and closed.json()["case"]["stage"] == "closed"
    assert closed.json()["task"]["status"] == "completed"
