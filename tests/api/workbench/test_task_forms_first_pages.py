"""The rest of the first tasks through the task page, as the people whose inboxes they are in: a
manager decides a referral's response, the strategy discussion is recorded (the core agencies as
checkboxes, anyone else a line of its own), a practitioner reviews new information and re-rates
the case, and the police record a welfare check after two visits in which the child was not
seen. Each time the case moving on is read back through the API."""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote

from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import NONE_SEEN, Json, complete, now, opened, task
from tests.api.test_referrals import intake_body
from tests.api.workbench.pages import signed_in, text_of
from tests.api.workbench.test_task_pages import error_beside
from tests.workflows.driver import LIVED_EXPERIENCE


async def _case(live_api: LiveApi, referral_id: str) -> Json:
    answer = await live_api.client.get(f"/referrals/{referral_id}", headers=live_api.staff.manager)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def _decided(live_api: LiveApi, outcome: str) -> str:
    """A contact screened, checked by the police and decided `outcome`: its referral id."""
    staff = live_api.staff
    created = await live_api.client.post(
        "/referrals", json=intake_body(), headers=staff.practitioner
    )
    assert created.status_code == 201, created.text
    referral_id = str(created.json()["referral_id"])
    screened = await complete(live_api, staff.practitioner, created.json()["screening_task_id"], {
        "kind": "screening", "rag": "amber", "rationale": "Checks needed.",
        "agencies": ["police"], "exploitation": NONE_SEEN,
    })  # fmt: skip
    check = opened(screened, "agency_check")
    checked = await complete(live_api, staff.agency(Agency.police), check, {
        "kind": "agency_check", "known_to_agency": False, "information": "Nothing held.",
        "responder_name": "PC Example",
    })  # fmt: skip
    await complete(live_api, staff.manager, opened(checked, "decision"), {
        "kind": "decision", "outcome": outcome, "rationale": "Threshold met.",
        "exploitation": NONE_SEEN, "lived_experience": LIVED_EXPERIENCE,
        "household_considered": ["Pat Example"],
    })  # fmt: skip
    return referral_id


def _value(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" type="datetime-local" value="([^"]*)"', page)
    assert match is not None, f"no {name}"
    return match.group(1)


async def test_the_response_decided_and_the_strategy_discussion_through_the_pages(
    live_api: LiveApi,
) -> None:
    staff = live_api.staff
    referral_id = await _decided(live_api, "referral")
    decision = await task(live_api, staff.manager, referral_id, "referral_decision")
    async with signed_in(live_api, "mo.manager", "manager") as mo:
        path = f"/work/tasks/{decision}"
        page = await mo.open(path)
        assert "within one working day" in text_of(page)
        assert 'value="nfa"' not in page  # a referral's response, not a contact's closure
        refused = await mo.submit(
            path, {"lived_experience": LIVED_EXPERIENCE}, page=page, status=422
        )
        assert (
            error_beside(refused.text, "response") == "Error: Select the response this child needs"
        )
        assert error_beside(refused.text, "rationale")
        await mo.submit(path, {
            "response": "strategy_discussion", "rationale": "Bruising to a seven-year-old.",
            "lived_experience": LIVED_EXPERIENCE, "household_considered": "Pat Example\nJo Example",
        }, page=refused.text)  # fmt: skip
        case = await _case(live_api, referral_id)
        assert case["stage"] == "strategy_discussion"
        made = next(t for t in case["tasks"] if t["task_id"] == decision)
        assert made["result"]["household_considered"] == ["Pat Example", "Jo Example"]
        assert "exploitation" not in made["result"] or made["result"]["exploitation"] is None

        strategy = await task(live_api, staff.manager, referral_id, "strategy_discussion")
        path = f"/work/tasks/{strategy}"
        page = await mo.open(path)
        held_at = _value(page, "held_at")  # starts at now
        form = {"held_at": held_at, "attendees": ["police", "childrens_social_care", "GP"],
                "outcome": "section_47", "rationale": "Agreed: a section 47 enquiry."}  # fmt: skip
        two = {**form, "attendees": ["police", "childrens_social_care"]}
        refused = await mo.submit(path, two, page=page, status=422)
        assert error_beside(refused.text, "attendees") == "Error: Who took part: give at least 3"
        refused = await mo.submit(path, form, page=refused.text, status=422)
        assert "missing: health" in error_beside(refused.text, "attendees")
        assert _value(refused.text, "held_at") == held_at  # nothing typed is lost
        attendees = ["police", "health", "childrens_social_care", "School safeguarding lead"]
        done = await mo.submit(path, {**form, "attendees": attendees}, page=refused.text)
        assert "Strategy discussion recorded: the case moved to the visit" in unquote(
            done.headers["location"]
        )
    case = await _case(live_api, referral_id)
    held = next(t for t in case["tasks"] if t["task_id"] == strategy)
    assert held["result"]["attendees"] == attendees
    assert case["strategy_outcome"] == "section_47"


async def test_new_information_reviewed_and_a_welfare_check_through_the_pages(
    live_api: LiveApi,
) -> None:
    staff = live_api.staff
    referral_id = await _decided(live_api, "assessment")
    added = await live_api.client.post(
        f"/referrals/{referral_id}/information",
        json={"text": "Sam was seen outside alone at midnight.", "source": "Neighbour"},
        headers={**staff.practitioner, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert added.status_code == 200, added.text
    review = str(added.json()["review_task_id"])
    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        path = f"/work/tasks/{review}"
        page = await pat.open(path)
        assert "Sam was seen outside alone at midnight." in text_of(page)
        refused = await pat.submit(path, {"rag": "red"}, page=page, status=422)
        assert error_beside(refused.text, "rationale")
        assert 'value="red" checked' in refused.text
        await pat.submit(path, {"rag": "red", "rationale": "Alone at night: red."}, page=page)
    assert (await _case(live_api, referral_id))["rag"] == "red"

    for _ in range(2):  # two visits in which the child is not seen
        visit = await task(live_api, staff.practitioner, referral_id, "visit")
        await complete(live_api, staff.practitioner, visit, {
            "kind": "visit", "visited_at": now(), "child_seen": False,
            "not_seen_reason": "no_access", "observations": "Nobody answered.",
        })  # fmt: skip
    police = staff.agency(Agency.police)
    welfare = await task(live_api, police, referral_id, "police_welfare_check")
    async with signed_in(live_api, "pc.example", "agency", agency="police") as pc:
        path = f"/work/tasks/{welfare}"
        page = await pc.open(path)
        assert "Did officers see the child?" in text_of(page) and "Sam Example" in text_of(page)
        refused = await pc.submit(path, {}, page=page, status=422)
        assert error_beside(refused.text, "child_seen") and error_beside(
            refused.text, "observations"
        )
        await pc.submit(path, {
            "child_seen": "yes", "observations": "Sam was at home with his mother, well.",
        }, page=refused.text)  # fmt: skip
    case = await _case(live_api, referral_id)
    checked = next(t for t in case["tasks"] if t["task_id"] == welfare)
    assert checked["status"] == "completed" and checked["result"]["child_seen"] is True
