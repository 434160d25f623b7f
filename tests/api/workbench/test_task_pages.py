"""The task page as the people whose inboxes the tasks are in: a practitioner screens a contact
(a form sent incomplete comes back with the errors beside the fields and what was typed kept),
the police partner answers its check seeing only the child and the concern, a manager decides
(a lived experience too short is the API's message beside the field), a practitioner records a
visit where the child was not seen; a partner cannot open another agency's check. Each time the
case moving on is read back through the API."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import unquote

from api.workbench.forms import field_id
from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import Json, complete, task
from tests.api.test_referrals import intake_body
from tests.api.workbench.pages import signed_in, text_of
from tests.workflows.driver import LIVED_EXPERIENCE

SCREENING_RATIONALE = "Bruising and hunger: the school's account needs police and health checks."
HEALTH_ANSWER = "Seen at the walk-in centre in March with a sprained wrist."


def error_beside(page: str, name: str) -> str:
    """The error message shown beside the field `name` (blank if none)."""
    match = re.search(
        rf'<p id="{re.escape(field_id(name))}-error" class="govuk-error-message">(.*?)</p>',
        page,
        re.S,
    )
    return text_of(match.group(1)) if match else ""


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea [^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match is not None, f"no textarea {name}"
    return html_lib.unescape(match.group(1))


def checked(page: str, name: str) -> list[str]:
    return re.findall(
        rf'name="{re.escape(name)}" type="(?:radio|checkbox)" value="([^"]*)" checked', page
    )


async def _case(live_api: LiveApi, referral_id: str) -> Json:
    answer = await live_api.client.get(f"/referrals/{referral_id}", headers=live_api.staff.manager)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_case_from_screening_to_a_visit_through_the_task_pages(live_api: LiveApi) -> None:
    staff = live_api.staff
    created = await live_api.client.post(
        "/referrals", json=intake_body(), headers=staff.practitioner
    )
    assert created.status_code == 201, created.text
    referral_id = created.json()["referral_id"]
    path = f"/work/tasks/{created.json()['screening_task_id']}"

    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        page = await pat.open(path)
        seen = text_of(page)
        assert "Screening" in seen and "Sam Example" in seen
        assert "Arrives hungry most days; bruising seen on the arm." in seen
        assert "Pat Example" in seen  # the household

        typed = {"immediate_risk": "no", "exploitation.risk": "none",
                 "exploitation.rationale": "Nothing points outside the family."}  # fmt: skip
        refused = await pat.submit(path, typed, page=page, status=422)
        assert "There is a problem" in text_of(refused.text)
        for name in ("rag", "rationale", "agencies"):
            assert error_beside(refused.text, name), f"no error beside {name}"
            assert f'href="#{field_id(name)}"' in refused.text  # the summary links to it
        assert error_beside(refused.text, "rag") == "Error: Select how urgent this contact is"
        assert error_beside(refused.text, "agencies") == "Error: Select at least one agency to ask"
        assert textarea(refused.text, "exploitation.rationale") == typed["exploitation.rationale"]
        assert checked(refused.text, "exploitation.risk") == ["none"]
        assert checked(refused.text, "immediate_risk") == ["no"]

        done = await pat.submit(path, {
            **typed, "rag": "amber", "rationale": SCREENING_RATIONALE,
            "agencies": ["police", "health"],
        }, page=refused.text)  # fmt: skip
        assert done.headers["location"].startswith("/work?notice=")
        assert "the case moved to agency checks" in unquote(done.headers["location"])

    case = await _case(live_api, referral_id)
    assert case["stage"] == "checks" and case["rag"] == "amber"
    checks = {t["agency"]: t for t in case["tasks"] if t["kind"] == "agency_check"}
    assert set(checks) == {"police", "health"}
    assert all(t["status"] == "open" for t in checks.values())
    police_check, health_check = checks["police"]["task_id"], checks["health"]["task_id"]
    await complete(live_api, staff.agency(Agency.health), health_check, {
        "kind": "agency_check", "known_to_agency": True, "information": HEALTH_ANSWER,
        "responder_name": "Nurse Example",
    })  # fmt: skip

    async with signed_in(live_api, "pc.example", "agency", agency="police") as pc:
        path = f"/work/tasks/{police_check}"
        page = await pc.open(path)
        seen = text_of(page)
        assert "Sam Example" in seen and "Arrives hungry most days" in seen
        assert "1 Example Street" in seen
        assert SCREENING_RATIONALE not in seen and HEALTH_ANSWER not in seen
        assert "/work/cases/" not in page  # nothing of the case beyond the check
        # Another agency's check is not theirs to open.
        other = await pc.open(f"/work/tasks/{health_check}", status=403)
        assert HEALTH_ANSWER not in text_of(other) and "Sam Example" not in text_of(other)

        refused = await pc.submit(path, {"responder_name": "PC Example"}, page=page, status=422)
        assert error_beside(refused.text, "known_to_agency")
        assert error_beside(refused.text, "information")
        done = await pc.submit(path, {
            "known_to_agency": "yes", "information": "A call-out to the address in May.",
            "risk_indicators": "Domestic abuse call-out\nNeighbour heard shouting",
            "responder_name": "PC Example",
        }, page=refused.text)  # fmt: skip
        assert "thank you" in unquote(done.headers["location"])

    case = await _case(live_api, referral_id)
    police = next(t for t in case["tasks"] if t["task_id"] == police_check)
    assert police["status"] == "completed"
    assert police["result"]["risk_indicators"] == [
        "Domestic abuse call-out", "Neighbour heard shouting",
    ]  # fmt: skip
    assert case["stage"] == "decision"

    decision = await task(live_api, staff.manager, referral_id, "decision")
    async with signed_in(live_api, "mo.manager", "manager") as mo:
        path = f"/work/tasks/{decision}"
        page = await mo.open(path)
        seen = text_of(page)
        assert HEALTH_ANSWER in seen and SCREENING_RATIONALE in seen  # staff see the checks
        assert "What is life like for this child?" in seen
        form = {
            "outcome": "assessment", "rationale": "Threshold met.",
            "lived_experience": "Sad.", "household_considered": "Pat Example",
            "exploitation.risk": "none", "exploitation.rationale": "Nothing seen.",
        }  # fmt: skip
        refused = await mo.submit(path, form, page=page, status=422)
        assert "lived_experience must describe" in error_beside(refused.text, "lived_experience")
        assert "Select how urgent" not in refused.text
        assert textarea(refused.text, "lived_experience") == "Sad."
        done = await mo.submit(
            path, {**form, "lived_experience": LIVED_EXPERIENCE}, page=refused.text
        )
        assert "MASH decision recorded" in unquote(done.headers["location"])
    case = await _case(live_api, referral_id)
    assert case["outcome"] == "assessment"
    made = next(t for t in case["tasks"] if t["task_id"] == decision)
    assert made["result"]["lived_experience"] == LIVED_EXPERIENCE
    assert made["result"]["household_considered"] == ["Pat Example"]

    visit = await task(live_api, staff.practitioner, referral_id, "visit")
    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        path = f"/work/tasks/{visit}"
        page = await pat.open(path)
        await pat.submit(f"{path}/claim", {}, page=page)  # the page's Claim button
        page = await pat.open(path)
        assert "You hold this task." in text_of(page) and "Claim this task" not in page
        visited_at = re.search(r'name="visited_at" type="datetime-local" value="([^"]+)"', page)
        assert visited_at is not None  # starts at now
        form = {"visited_at": visited_at.group(1), "child_seen": "no",
                "observations": "Nobody answered; curtains drawn."}  # fmt: skip
        refused = await pat.submit(path, form, page=page, status=422)
        assert "not_seen_reason" in error_beside(refused.text, "not_seen_reason")
        assert textarea(refused.text, "observations") == form["observations"]
        await pat.submit(path, {**form, "not_seen_reason": "no_access"}, page=refused.text)
    case = await _case(live_api, referral_id)
    visited = next(t for t in case["tasks"] if t["task_id"] == visit)
    assert visited["status"] == "completed"
    assert visited["result"]["child_seen"] is False
    assert visited["result"]["not_seen_reason"] == "no_access"
    # Not seen: another visit is arranged.
    await task(live_api, staff.practitioner, referral_id, "visit")


async def test_a_done_task_and_a_stranger_to_it(live_api: LiveApi) -> None:
    staff = live_api.staff
    created = await live_api.client.post(
        "/referrals", json=intake_body(), headers=staff.practitioner
    )
    screening = created.json()["screening_task_id"]
    form = {"rag": "green", "rationale": "Checks needed.", "agencies": "police",
            "immediate_risk": "no", "exploitation.risk": "none",
            "exploitation.rationale": "None seen."}  # fmt: skip
    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        path = f"/work/tasks/{screening}"
        form_page = await pat.open(path)
        first_answer = await pat.submit(path, form, page=form_page)
        # Sent again (a double click, a retry): the same key, applied once, the same answer.
        again = await pat.submit(path, form, page=form_page)
        for answer in (first_answer, again):
            assert "Screening recorded: the case" in unquote(answer.headers["location"])
        page = await pat.open(path)
        assert "This task is completed" in text_of(page)
        assert 'action="/work/tasks' not in page
        # The same answer sent as a new submission: the API's refusal, on the page.
        refused = await pat.submit(path, {**form, "idempotency_key": "another"}, page=form_page,
                                   status=409)  # fmt: skip
        assert "There is a problem" in text_of(refused.text)
        assert "already completed" in text_of(refused.text)
        await pat.open("/work/tasks/not-a-task", status=404)
    case = await _case(live_api, str(created.json()["referral_id"]))
    assert [t["kind"] for t in case["tasks"]].count("agency_check") == 1
    check = next(t["task_id"] for t in case["tasks"] if t["kind"] == "agency_check")
    held = await live_api.client.post(f"/tasks/{check}/claim", headers=staff.agency(Agency.police))
    assert held.status_code == 200, held.text
    async with signed_in(live_api, "pc.other", "agency", agency="police") as pc:
        seen = text_of(await pc.open(f"/work/tasks/{check}"))
        assert "duty.police holds this task: only they or a manager can complete it" in seen
    async with signed_in(live_api, "hv.example", "agency", agency="health") as hv:
        page = await hv.open(f"/work/tasks/{check}", status=403)
        assert "Sam Example" not in text_of(page)
        assert "You do not have access" in text_of(page)
