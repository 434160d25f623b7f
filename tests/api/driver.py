"""What staff do over HTTP in the API tests: complete a task, find the tasks a completion
opened, find a case's open task in an inbox, and drive a case to closed with every task done by
the people whose inbox it is in (practitioners, managers, the partner asked, the receiving team).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from domain.tasks import Agency, Team
from tests.api.conftest import LiveApi
from tests.workflows.driver import LIVED_EXPERIENCE

Json = dict[str, Any]


def now() -> str:
    return datetime.now(UTC).isoformat()


# The exploitation screening asked on every case, when nothing points to harm outside the family.
NONE_SEEN = {"risk": "none", "rationale": "Nothing points to harm outside the family."}


async def complete(api: LiveApi, headers: dict[str, str], task_id: str, result: Json) -> Json:
    """Complete the task with `result` as `headers`' owner; the answer (it must be 200)."""
    response = await api.client.post(
        f"/tasks/{task_id}/complete",
        json={"result": result},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def opened(answer: Json, kind: str) -> str:
    """The task of `kind` that a completion opened."""
    return str(next(t["task_id"] for t in answer["opened_tasks"] if t["kind"] == kind))


async def task(api: LiveApi, headers: dict[str, str], referral_id: str, kind: str) -> str:
    """The open task of `kind` on the referral, as the inbox shows it to `headers`' owner."""
    for _ in range(200):
        inbox = await api.client.get("/tasks", params={"kind": kind}, headers=headers)
        assert inbox.status_code == 200, inbox.text
        for row in inbox.json()["items"]:
            if row["referral_id"] == referral_id:
                return str(row["task_id"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {kind} task for {referral_id} in the inbox")


# What each kind of task records when a test does not say, as its team records it.
DEFAULT_RESULTS: dict[str, Callable[[], Json]] = {
    "acknowledgement": lambda: {
        "kind": "acknowledgement", "method": "phone", "acknowledged_at": now(),
    },
    "review_new_information": lambda: {
        "kind": "review_new_information", "rationale": "Read; RAG kept.",
    },
    "screening": lambda: {
        "kind": "screening", "rag": "amber", "rationale": "Checks needed.", "agencies": ["police"],
        "exploitation": NONE_SEEN,
    },
    "agency_check": lambda: {
        "kind": "agency_check", "known_to_agency": False, "information": "Nothing held.",
        "responder_name": "Duty officer",
    },
    "decision": lambda: {
        "kind": "decision", "outcome": "nfa", "rationale": "As recorded.",
        "exploitation": NONE_SEEN,
        "lived_experience": LIVED_EXPERIENCE, "household_considered": ["Pat Example"],
    },
    "referral_decision": lambda: {
        "kind": "referral_decision", "response": "assessment", "rationale": "Threshold met.",
        "lived_experience": LIVED_EXPERIENCE, "household_considered": ["Pat Example"],
    },
    "referrer_feedback": lambda: {
        "kind": "referrer_feedback", "method": "email", "told_at": now(),
    },
    "strategy_discussion": lambda: {
        "kind": "strategy_discussion", "held_at": now(),
        "attendees": ["police", "health", "childrens_social_care"],
        "outcome": "section_47", "rationale": "Agreed.",
    },
    "visit": lambda: {
        "kind": "visit", "visited_at": now(), "child_seen": True, "seen_alone": True,
        "observations": "Warm home, food in the cupboards.", "child_words": "I'm okay.",
    },
    "handover": lambda: {
        "kind": "handover", "accepted_at": now(), "receiving_team": "Assessment team 2",
    },
    "child_protection_conference": lambda: {
        "kind": "child_protection_conference", "section_47_outcome": "substantiated_at_risk",
        "held_at": now(), "conference_outcome": "child_protection_plan",
        "rationale": "Continuing risk; plan agreed.",
    },
    "assessment_completed": lambda: {
        "kind": "assessment_completed", "completed_at": now(), "outcome": "child_in_need_plan",
        "summary": "Support through a child in need plan.",
    },
}  # fmt: skip
ORDER = list(DEFAULT_RESULTS)
"""The order a front door works a case's open tasks in (the referrer is rung back first)."""


def _doer(api: LiveApi, row: Json) -> dict[str, str]:
    """Who does the task: its agency's duty officer, a manager, or a practitioner."""
    staff = api.staff
    if row["agency"] is not None:
        return staff.agency(Agency(row["agency"]))
    if row["team"] in (Team.managers.value, Team.exploitation.value, Team.receiving.value):
        return staff.manager
    assert row["team"] == Team.practitioners.value, row
    return staff.practitioner


async def _open_tasks(api: LiveApi, referral_id: str) -> list[Json]:
    """The case's open tasks as the inboxes hold them (managers see every team's)."""
    rows: list[Json] = []
    offset = 0
    while True:
        page = await api.client.get(
            "/tasks", params={"limit": 200, "offset": offset}, headers=api.staff.manager
        )
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        rows += [row for row in items if row["referral_id"] == referral_id]
        if len(items) < 200:
            return rows
        offset += 200


async def drive_to_closed(
    api: LiveApi, referral_id: str, results: Mapping[str, Json] | None = None
) -> Json:
    """Work every open task of the case, one at a time from the inboxes, until it closes: each
    by whoever does it, with `results[kind]` laid over the default result for its kind (so
    `{"decision": {"outcome": "assessment"}}` takes the contact to an assessment, a visit, the
    handover and the assessment recorded). The closed case as `GET /referrals/{id}` shows it."""
    given = results or {}
    done: set[str] = set()
    for _ in range(200):
        waiting = [row for row in await _open_tasks(api, referral_id) if row["task_id"] not in done]
        if not waiting:  # closed, or the next task is still on its way to the inbox
            case = await _case(api, referral_id)
            if case["stage"] == "closed":
                return case
            await asyncio.sleep(0.05)
            continue
        unknown = {row["kind"] for row in waiting} - set(ORDER)
        assert not unknown, f"the driver does not know how to do {unknown}"
        row = min(waiting, key=lambda r: ORDER.index(r["kind"]))
        result = {**DEFAULT_RESULTS[row["kind"]](), **given.get(row["kind"], {})}
        answer = await complete(api, _doer(api, row), row["task_id"], result)
        done.add(row["task_id"])
        if answer["stage"] == "closed":
            case = await _case(api, referral_id)
            assert case["stage"] == "closed", case
            return case
    raise AssertionError(f"{referral_id} never closed: {await _case(api, referral_id)}")


async def _case(api: LiveApi, referral_id: str) -> Json:
    case = await api.client.get(f"/referrals/{referral_id}", headers=api.staff.manager)
    assert case.status_code == 200, case.text
    return dict(case.json())
