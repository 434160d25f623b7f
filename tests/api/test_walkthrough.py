"""A referral from intake to a closed case, for every outcome, over HTTP, each step done by the
role that does it in a front door: practitioners screen and visit, partners answer their checks,
managers decide and hold strategy discussions."""

from __future__ import annotations

import pytest

from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import NONE_SEEN, complete, now, task
from tests.api.test_referrals import intake_body
from tests.workflows.driver import LIVED_EXPERIENCE


@pytest.mark.parametrize(
    ("outcome", "response", "strategy_outcome", "visit"),
    [
        ("nfa", None, None, False),
        ("advice", None, None, False),
        ("early_help", None, None, False),
        ("referral", "assessment", None, True),
        ("referral", "step_down", None, False),
        ("assessment", None, None, True),
        ("strategy_discussion", None, "section_47", True),
        ("strategy_discussion", None, "nfa", False),
        ("immediate_protection", None, "section_47", True),
    ],
)
async def test_a_contact_walks_to_a_closed_case(
    live_api: LiveApi,
    outcome: str,
    response: str | None,
    strategy_outcome: str | None,
    visit: bool,
) -> None:
    staff = live_api.staff
    practitioner, manager = staff.practitioner, staff.manager
    created = await live_api.client.post("/referrals", json=intake_body(), headers=practitioner)
    assert created.status_code == 201
    referral_id = created.json()["referral_id"]

    # The referrer is rung back the same day: the acknowledgement is a task, done and dated.
    acknowledgement = await task(live_api, practitioner, referral_id, "acknowledgement")
    await complete(live_api, practitioner, acknowledgement, {
        "kind": "acknowledgement", "method": "phone", "acknowledged_at": now(),
    })  # fmt: skip
    screening = created.json()["screening_task_id"]  # already in the inbox
    claimed = await live_api.client.post(f"/tasks/{screening}/claim", headers=practitioner)
    assert claimed.status_code == 200
    screened = await complete(live_api, practitioner, screening, {
        "kind": "screening", "rag": "amber", "rationale": "Hunger and bruising.",
        "exploitation": NONE_SEEN,
        "agencies": ["police", "health"],
    })  # fmt: skip
    assert screened["stage"] == "checks"

    for agency in (Agency.police, Agency.health):
        partner = staff.agency(agency)
        check = await task(live_api, partner, referral_id, "agency_check")
        answered = await complete(live_api, partner, check, {
            "kind": "agency_check", "known_to_agency": agency is Agency.police,
            "information": "What we hold.", "responder_name": f"Duty {agency.value}",
        })  # fmt: skip
    assert answered["stage"] == "decision"

    decision = await task(live_api, manager, referral_id, "decision")
    decided = await complete(live_api, manager, decision, {
        "kind": "decision", "outcome": outcome, "rationale": "As recorded.",
        "exploitation": NONE_SEEN,
        "lived_experience": LIVED_EXPERIENCE, "household_considered": ["Pat Example"],
    })  # fmt: skip
    if response is not None:  # a referral: its response decided within one working day
        assert [t["kind"] for t in decided["opened_tasks"]] == ["referral_decision"]
        referral_task = await task(live_api, manager, referral_id, "referral_decision")
        decided = await complete(live_api, manager, referral_task, {
            "kind": "referral_decision", "response": response, "rationale": "Threshold met.",
            "lived_experience": LIVED_EXPERIENCE, "household_considered": ["Pat Example"],
        })  # fmt: skip
    feedback = await task(live_api, practitioner, referral_id, "referrer_feedback")
    await complete(live_api, practitioner, feedback, {
        "kind": "referrer_feedback", "method": "email", "told_at": now(),
    })  # fmt: skip

    if strategy_outcome is not None:
        assert decided["stage"] == "strategy_discussion"
        strategy = await task(live_api, manager, referral_id, "strategy_discussion")
        await complete(live_api, manager, strategy, {
            "kind": "strategy_discussion", "held_at": now(),
            "attendees": ["police", "health", "childrens_social_care"],
            "outcome": strategy_outcome, "rationale": "Agreed.",
        })  # fmt: skip
    if visit:
        home_visit = await task(live_api, practitioner, referral_id, "visit")
        visited = await complete(live_api, practitioner, home_visit, {
            "kind": "visit", "visited_at": now(), "child_seen": True, "seen_alone": True,
            "observations": "Warm home, food in the cupboards.", "child_words": "I'm okay.",
        })  # fmt: skip
        assert visited["stage"] == "handover"
        await _hand_over(
            live_api, manager, referral_id, section_47=strategy_outcome == "section_47"
        )

    case = await live_api.client.get(f"/referrals/{referral_id}", headers=manager)
    assert case.status_code == 200
    state = case.json()
    assert state["stage"] == "closed"
    assert state["outcome"] == (response or outcome)
    assert state["strategy_outcome"] == strategy_outcome
    assert ("child_seen" in state["milestones"]) is visit
    assert (state["referral_at"] is None) is (outcome in ("nfa", "advice", "early_help"))
    assert {"acknowledged", "referrer_told"} <= set(state["milestones"])
    screening_task = next(t for t in state["tasks"] if t["kind"] == "screening")
    assert screening_task["assignee"] == "pat.practitioner"
    assert screening_task["completed_by"] == "pat.practitioner"
    listed = await live_api.client.get("/referrals", params={"stage": "closed"}, headers=manager)
    assert [row["referral_id"] for row in listed.json()["items"]] == [referral_id]


async def _hand_over(
    api: LiveApi, headers: dict[str, str], referral_id: str, *, section_47: bool
) -> None:
    """The receiving team accepts the case, then records the assessment (and conference)."""
    handover = await task(api, headers, referral_id, "handover")
    await complete(api, headers, handover, {
        "kind": "handover", "accepted_at": now(), "receiving_team": "Assessment team 2",
    })  # fmt: skip
    if section_47:
        conference = await task(api, headers, referral_id, "child_protection_conference")
        await complete(api, headers, conference, {
            "kind": "child_protection_conference", "section_47_outcome": "substantiated_at_risk",
            "held_at": now(), "conference_outcome": "child_protection_plan",
            "rationale": "Continuing risk; plan agreed.",
        })  # fmt: skip
    assessment = await task(api, headers, referral_id, "assessment_completed")
    done = await complete(api, headers, assessment, {
        "kind": "assessment_completed", "completed_at": now(),
        "outcome": "child_in_need_plan", "summary": "Support through a child in need plan.",
    })  # fmt: skip
    assert done["stage"] == "closed"
