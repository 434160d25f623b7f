"""The later tasks' forms in Debian's Chromium, checked with axe-core (no serious or critical
violation) and photographed, each as it opens and as it comes back from a blank submission: a
trafficking concern taken to a section 47 enquiry gives every one of them (the acknowledgement,
the referrer's feedback, MACE, its action, the NRM referral, the handover, the conference and
the assessment). The case is moved between them through the API; the pages do the recording in
test_task_forms_later_pages.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from domain.calendar import LONDON
from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import complete, now, opened, task
from tests.api.workbench.browser import Visits, chromium
from tests.api.workbench.test_task_forms_later_pages import TRAFFICKED, new_case
from tests.workflows.driver import LIVED_EXPERIENCE


async def _sign_in(browser: Browser, base: str, first_task: str) -> Page:
    """The manager signs in on the way to the first task's page (the sign-in form sends them
    back to it)."""
    context = await browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"/work/tasks/{first_task}")
    await page.get_by_label("User id").fill("mo.manager")
    await page.get_by_label("Your name").fill("Mo Manager")
    await page.get_by_label("manager", exact=True).check()
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"**/work/tasks/{first_task}")
    return page


async def _look(page: Page, visits: Visits, task_id: str, name: str, heading: str) -> None:
    """Open the task's page, then send its form as it stands (errors beside the fields)."""
    await page.goto(f"/work/tasks/{task_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    await visits.check(page, name)
    await page.get_by_role("button", name="Save and continue").click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await expect(page.locator(".govuk-error-message").first).to_be_visible()
    await visits.check(page, f"{name}-errors")


@pytest.mark.timeout(300)
async def test_the_later_task_forms_pass_axe(
    served_api: str, live_api: LiveApi, tmp_path: Path
) -> None:
    staff = live_api.staff
    manager = staff.manager
    referral_id, screened = await new_case(live_api, exploitation=TRAFFICKED)
    today = datetime.now(LONDON).date()
    visits = Visits(tmp_path)
    async with chromium() as browser:
        ack = await task(live_api, manager, referral_id, "acknowledgement")
        mo = await _sign_in(browser, served_api, ack)
        await _look(mo, visits, ack, "acknowledgement", "Acknowledge the referrer")
        await complete(live_api, manager, ack, {
            "kind": "acknowledgement", "method": "phone", "acknowledged_at": now(),
        })  # fmt: skip

        mace = opened(screened, "mace")
        await _look(mo, visits, mace, "mace", "MACE discussion")
        await complete(live_api, manager, mace, {
            "kind": "mace", "held_at": now(), "attendees": ["police", "childrens_social_care"],
            "risk": "significant", "plan": "Disrupt the older man's contact.",
            "actions": [{"action": "Warning notice", "owner": "Police",
                         "due_on": (today + timedelta(days=7)).isoformat()}],
            "review_on": (today + timedelta(days=28)).isoformat(),
        })  # fmt: skip
        action = await task(live_api, manager, referral_id, "mace_action")
        await _look(mo, visits, action, "mace-action", "MACE disruption action")
        await _look(mo, visits, opened(screened, "nrm_referral"), "nrm", "NRM referral")

        police = staff.agency(Agency.police)
        checked = await complete(live_api, police, opened(screened, "agency_check"), {
            "kind": "agency_check", "known_to_agency": True, "information": "Seen in Townham.",
            "responder_name": "PC Example",
        })  # fmt: skip
        decided = await complete(live_api, manager, opened(checked, "decision"), {
            "kind": "decision", "outcome": "strategy_discussion", "rationale": "Significant harm.",
            "exploitation": TRAFFICKED,
            "lived_experience": LIVED_EXPERIENCE, "household_considered": ["Pat Example"],
        })  # fmt: skip
        feedback = await task(live_api, manager, referral_id, "referrer_feedback")
        await _look(mo, visits, feedback, "referrer-feedback", "Tell the referrer the outcome")

        discussed = await complete(live_api, manager, opened(decided, "strategy_discussion"), {
            "kind": "strategy_discussion", "held_at": now(),
            "attendees": ["police", "health", "childrens_social_care"],
            "outcome": "section_47", "rationale": "Agreed.",
        })  # fmt: skip
        visited = await complete(live_api, manager, opened(discussed, "visit"), {
            "kind": "visit", "visited_at": now(), "child_seen": True, "seen_alone": True,
            "observations": "Quiet; says he is fine.", "child_words": "I just want my phone.",
        })  # fmt: skip
        handover = opened(visited, "handover")
        await _look(mo, visits, handover, "handover", "Handover to the receiving team")
        await complete(live_api, manager, handover, {
            "kind": "handover", "accepted_at": now(), "receiving_team": "Assessment team 2",
        })  # fmt: skip
        conference = await task(live_api, manager, referral_id, "child_protection_conference")
        await _look(mo, visits, conference, "conference", "Section 47 enquiry and conference")
        assessment = await task(live_api, manager, referral_id, "assessment_completed")
        await _look(mo, visits, assessment, "assessment", "Assessment completed")
    assert visits.count == 16
    assert visits.blocking() == []
