"""The later tasks done through the task page, as the people whose inboxes they are in: the
practitioner acknowledges the referrer and tells them the outcome, the receiving team accepts the
case and records the assessment, the exploitation team records the MACE discussion, its action
and the NRM referral. Each time the case moves on (read back through the API), and a form sent
blank comes back with the errors beside the fields."""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timedelta

from api.workbench.forms import field_id, local_input
from domain.calendar import LONDON
from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import NONE_SEEN, Json, complete, now, opened, task
from tests.api.test_referrals import intake_body
from tests.api.workbench.pages import Person, signed_in, text_of
from tests.workflows.driver import LIVED_EXPERIENCE


def value_of(page: str, name: str) -> str:
    """The value an input called `name` shows."""
    match = re.search(rf'<input [^>]*name="{re.escape(name)}"[^>]* value="([^"]*)"', page)
    assert match is not None, f"no input {name} on the page"
    return html_lib.unescape(match.group(1))


def error_beside(page: str, name: str) -> str:
    """The error message shown beside the field `name` (blank if none)."""
    match = re.search(
        rf'<p id="{re.escape(field_id(name))}-error" class="govuk-error-message">(.*?)</p>',
        page,
        re.S,
    )
    return text_of(match.group(1)) if match else ""


async def _case(live_api: LiveApi, referral_id: str) -> Json:
    answer = await live_api.client.get(f"/referrals/{referral_id}", headers=live_api.staff.manager)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def _blank_then(person: Person, path: str, names: list[str], form: dict[str, object]) -> str:
    """Send the task's form blank (every error beside its field, nothing lost), then filled."""
    page = await person.open(path)
    refused = await person.submit(path, {}, page=page, status=422)
    for name in names:
        assert error_beside(refused.text, name), f"no error beside {name}"
    assert "There is a problem" in text_of(refused.text)
    await person.submit(path, form, page=refused.text)
    return page


async def new_case(live_api: LiveApi, exploitation: Json = NONE_SEEN) -> tuple[str, Json]:
    """A contact taken in and screened amber, police asked: its id and the screening's answer."""
    staff = live_api.staff
    created = await live_api.client.post(
        "/referrals", json=intake_body(), headers=staff.practitioner
    )
    assert created.status_code == 201, created.text
    referral_id = created.json()["referral_id"]
    screened = await complete(live_api, staff.practitioner, created.json()["screening_task_id"], {
        "kind": "screening", "rag": "amber", "rationale": "Checks needed.",
        "agencies": ["police"], "exploitation": exploitation,
    })  # fmt: skip
    return referral_id, screened


async def test_the_referrer_is_acknowledged_through_the_page(live_api: LiveApi) -> None:
    referral_id, _ = await new_case(live_api)
    practitioner = live_api.staff.practitioner
    ack = await task(live_api, practitioner, referral_id, "acknowledgement")
    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        path = f"/work/tasks/{ack}"
        page = await pat.open(path)
        seen = text_of(page)
        assert "How did you let the referrer know?" in seen and "one working day" in seen
        told_at = value_of(page, "acknowledged_at")  # starts at now, London time
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", told_at)
        refused = await pat.submit(path, {"acknowledged_at": ""}, page=page, status=422)
        assert error_beside(refused.text, "method") and error_beside(
            refused.text, "acknowledged_at"
        )
        await pat.submit(
            path,
            {"method": "phone", "acknowledged_at": told_at, "note": "Spoke to the teacher."},
            page=refused.text,
        )
    case = await _case(live_api, referral_id)
    done = next(t for t in case["tasks"] if t["task_id"] == ack)
    assert done["status"] == "completed" and done["completed_by"] == "pat.practitioner"
    assert done["result"]["method"] == "phone" and done["result"]["note"] == "Spoke to the teacher."
    # When the page said (London time), as the case's milestone.
    assert local_input(case["milestones"]["acknowledged"]) == told_at


async def test_feedback_handover_and_assessment_through_the_pages(live_api: LiveApi) -> None:
    staff = live_api.staff
    referral_id, screened = await new_case(live_api)
    ack = await task(live_api, staff.practitioner, referral_id, "acknowledgement")
    await complete(live_api, staff.practitioner, ack, {
        "kind": "acknowledgement", "method": "phone", "acknowledged_at": now(),
    })  # fmt: skip
    police = staff.agency(Agency.police)
    checked = await complete(live_api, police, opened(screened, "agency_check"), {
        "kind": "agency_check", "known_to_agency": False, "information": "Nothing held.",
        "responder_name": "PC Example",
    })  # fmt: skip
    await complete(live_api, staff.manager, opened(checked, "decision"), {
        "kind": "decision", "outcome": "assessment", "rationale": "Threshold met.",
        "exploitation": NONE_SEEN,
        "lived_experience": LIVED_EXPERIENCE, "household_considered": ["Pat Example"],
    })  # fmt: skip

    feedback = await task(live_api, staff.practitioner, referral_id, "referrer_feedback")
    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        path = f"/work/tasks/{feedback}"
        page = await pat.open(path)
        assert "How did you tell the referrer?" in text_of(page)
        await _blank_then(pat, path, ["method", "told_at"], {
            "method": "email", "told_at": value_of(page, "told_at"),
        })  # fmt: skip
    assert "referrer_told" in (await _case(live_api, referral_id))["milestones"]

    visit = await task(live_api, staff.practitioner, referral_id, "visit")
    await complete(live_api, staff.practitioner, visit, {
        "kind": "visit", "visited_at": now(), "child_seen": True, "seen_alone": True,
        "observations": "Warm home, food in the cupboards.", "child_words": "I'm okay.",
    })  # fmt: skip
    handover = await task(live_api, staff.manager, referral_id, "handover")
    async with signed_in(live_api, "mo.manager", "manager") as mo:
        path = f"/work/tasks/{handover}"
        page = await mo.open(path)
        assert "Which team accepted the case?" in text_of(page)
        await _blank_then(mo, path, ["accepted_at", "receiving_team"], {
            "accepted_at": value_of(page, "accepted_at"), "receiving_team": "Assessment team 2",
            "note": "Mum trusts the health visitor.",
        })  # fmt: skip
        case = await _case(live_api, referral_id)
        assert case["stage"] == "handover" and "handed_over" in case["milestones"]
        done = next(t for t in case["tasks"] if t["task_id"] == handover)
        assert done["result"]["receiving_team"] == "Assessment team 2"

        assessment = await task(live_api, staff.manager, referral_id, "assessment_completed")
        path = f"/work/tasks/{assessment}"
        page = await mo.open(path)
        assert "45 working days" in text_of(page)
        await _blank_then(mo, path, ["completed_at", "outcome", "summary"], {
            "completed_at": value_of(page, "completed_at"), "outcome": "child_in_need_plan",
            "summary": "Support through a child in need plan.",
        })  # fmt: skip
    case = await _case(live_api, referral_id)
    assert case["stage"] == "closed" and case["assessment_outcome"] == "child_in_need_plan"


TRAFFICKED = {
    "risk": "significant",
    "indicators": ["going_missing", "trafficking_or_modern_slavery"],
    "rationale": "Found in another town twice; an older man holds his phone and his money.",
}


async def test_mace_its_action_and_the_nrm_referral_through_the_pages(live_api: LiveApi) -> None:
    staff = live_api.staff
    referral_id, screened = await new_case(live_api, exploitation=TRAFFICKED)
    assert {"mace", "nrm_referral"} <= {t["kind"] for t in screened["opened_tasks"]}
    today = datetime.now(LONDON).date()
    async with signed_in(live_api, "mo.manager", "manager") as mo:
        path = f"/work/tasks/{opened(screened, 'mace')}"
        page = await mo.open(path)
        assert "5 working days" in text_of(page)
        await _blank_then(mo, path, ["attendees", "risk", "plan", "review_on"], {
            "held_at": value_of(page, "held_at"),
            "attendees": ["police", "childrens_social_care", "Youth worker"],
            "risk": "significant", "plan": "Disrupt the older man's contact; school safety plan.",
            "actions.0.action": "Child abduction warning notice",
            "actions.0.owner": "Police",
            "actions.0.due_on": (today + timedelta(days=7)).isoformat(),
            "review_on": (today + timedelta(days=28)).isoformat(),
        })  # fmt: skip
        case = await _case(live_api, referral_id)
        assert "mace_held" in case["milestones"]
        mace = next(t for t in case["tasks"] if t["kind"] == "mace")
        assert mace["result"]["attendees"] == ["police", "childrens_social_care", "Youth worker"]

        action = await task(live_api, staff.manager, referral_id, "mace_action")
        path = f"/work/tasks/{action}"
        page = await mo.open(path)
        assert "Child abduction warning notice" in text_of(page)
        await _blank_then(mo, path, ["done", "note"], {
            "done": "yes", "done_on": today.isoformat(),
            "note": "Notice served; he has stayed away.",
        })  # fmt: skip

        path = f"/work/tasks/{opened(screened, 'nrm_referral')}"
        page = await mo.open(path)
        assert "A child needs no consent" in text_of(page)
        await _blank_then(mo, path, ["route", "reference", "made_by"], {
            "route": "nrm_referral", "made_at": value_of(page, "made_at"),
            "reference": "NRM-2026-0042", "made_by": "Mo Manager",
        })  # fmt: skip
    case = await _case(live_api, referral_id)
    assert "nrm_referred" in case["milestones"]
    done = {
        t["kind"]: t["status"]
        for t in case["tasks"]
        if t["kind"] in ("mace_action", "nrm_referral")
    }
    assert done == {"mace_action": "completed", "nrm_referral": "completed"}


async def test_the_section_47_outcome_and_conference_through_the_page(live_api: LiveApi) -> None:
    staff, manager = live_api.staff, live_api.staff.manager
    referral_id, screened = await new_case(live_api)
    police = staff.agency(Agency.police)
    checked = await complete(live_api, police, opened(screened, "agency_check"), {
        "kind": "agency_check", "known_to_agency": True, "information": "Domestic abuse call-outs.",
        "responder_name": "PC Example",
    })  # fmt: skip
    decided = await complete(live_api, manager, opened(checked, "decision"), {
        "kind": "decision", "outcome": "strategy_discussion", "rationale": "Significant harm.",
        "exploitation": NONE_SEEN,
        "lived_experience": LIVED_EXPERIENCE, "household_considered": ["Pat Example"],
    })  # fmt: skip
    discussed = await complete(live_api, manager, opened(decided, "strategy_discussion"), {
        "kind": "strategy_discussion", "held_at": now(),
        "attendees": ["police", "health", "childrens_social_care"],
        "outcome": "section_47", "rationale": "Agreed.",
    })  # fmt: skip
    visited = await complete(live_api, staff.practitioner, opened(discussed, "visit"), {
        "kind": "visit", "visited_at": now(), "child_seen": True, "seen_alone": True,
        "observations": "Bruise on the arm, explained by a fall.", "child_words": "I fell.",
    })  # fmt: skip
    await complete(live_api, manager, opened(visited, "handover"), {
        "kind": "handover", "accepted_at": now(), "receiving_team": "Child protection team",
    })  # fmt: skip
    conference = await task(live_api, manager, referral_id, "child_protection_conference")
    async with signed_in(live_api, "mo.manager", "manager") as mo:
        path = f"/work/tasks/{conference}"
        page = await mo.open(path)
        assert "15 working days" in text_of(page)
        assert value_of(page, "held_at") == ""  # a conference is never assumed held
        at_risk = {"section_47_outcome": "substantiated_at_risk", "rationale": "Continuing risk."}
        refused = await mo.submit(path, at_risk, page=page, status=422)
        beside = error_beside(refused.text, "held_at") or error_beside(
            refused.text, "conference_outcome"
        )
        assert "initial conference" in beside
        assert "Continuing risk." in refused.text  # what was typed is kept
        held = local_input(now())
        await mo.submit(
            path,
            {**at_risk, "held_at": held, "conference_outcome": "child_protection_plan"},
            page=refused.text,
        )
    case = await _case(live_api, referral_id)
    assert case["section_47_outcome"] == "substantiated_at_risk"
    assert case["conference_outcome"] == "child_protection_plan"
    assert local_input(case["milestones"]["conference_held"]) == held
