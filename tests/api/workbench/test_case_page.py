"""The case page, /work/cases/{id}, over HTTP against the live API: after screening it shows the
child, the stage, the deadlines with what is met and the time left, the tasks with links to the
open ones, and the chronology; new information added through its form shows on it (a blank
field's error beside the field, 429 as 'wait and try again' with what was typed kept); a partner
gets the API's refusal; a form without the CSRF token is refused; and the inbox and the case
page in Chromium, checked with axe-core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import DEFAULT_RESULTS, complete, task
from tests.api.test_tasks import take_in
from tests.api.workbench.browser import Visits, chromium, sign_in
from tests.api.workbench.pages import signed_in, text_of

WHEN = r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d"  # a London time as the pages show it


def section(html: str, element_id: str) -> str:
    found = re.search(rf'<(table|dl|ul)[^>]* id="{element_id}".*?</\1>', html, re.S)
    assert found is not None, f"no #{element_id} on the page"
    return found.group(0)


async def screened_case(live_api: LiveApi) -> tuple[str, dict[str, str]]:
    """A case screened amber with checks asked of the police and health; its id and the checks'
    task ids by agency."""
    staff = live_api.staff
    referral_id = await take_in(live_api)
    screening = await task(live_api, staff.practitioner, referral_id, "screening")
    result = {**DEFAULT_RESULTS["screening"](), "agencies": ["police", "health"]}
    answer = await complete(live_api, staff.practitioner, screening, result)
    checks = {
        str(t["agency"]): str(t["task_id"])
        for t in answer["opened_tasks"]
        if t["kind"] == "agency_check"
    }
    return referral_id, checks


async def test_the_case_page_after_screening(live_api: LiveApi) -> None:
    referral_id, checks = await screened_case(live_api)
    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        html = await pat.open(f"/work/cases/{referral_id}")
        assert html.count("<h1") == 1
        seen = text_of(html)
        assert f"Case {referral_id[:8]}" in seen and "Sam Example" in seen

        summary = text_of(section(html, "case-summary"))
        assert "Stage Agency checks" in summary and "RAG rating AMBER" in summary
        assert "Arrives hungry most days" in summary and "Date of birth 1 Mar 2019" in summary
        assert "Pat Example (mother" in text_of(section(html, "household"))

        deadlines = text_of(section(html, "deadlines"))
        assert re.search(rf"Screening {WHEN} Met on ", deadlines)
        assert re.search(rf"Agency checks {WHEN} \d+ (day|hour|minute)s? ", deadlines)
        assert "left" in deadlines

        tasks = section(html, "tasks")
        assert f'href="/work/tasks/{checks["police"]}"' in tasks
        assert f'href="/work/tasks/{checks["health"]}"' in tasks
        assert "Agency check (police)" in text_of(tasks)
        assert re.search(r"Screening Completed .*? by pat\.practitioner", text_of(tasks))

        chronology = text_of(section(html, "chronology"))
        assert "Contact received" in chronology
        assert "Recorded Screening; RAG AMBER" in chronology
        assert "checks asked of Police, Health" in chronology
        assert "Task opened Agency check (police)" in chronology
        assert 'id="no-escalations"' in html and 'id="no-siblings"' in html

        # Once both checks are back, the checks deadline reads as met and the case moves on.
        for agency, task_id in checks.items():
            check = DEFAULT_RESULTS["agency_check"]()
            await complete(live_api, live_api.staff.agency(Agency(agency)), task_id, check)
        later = await pat.open(f"/work/cases/{referral_id}")
        assert "Stage MASH decision" in text_of(section(later, "case-summary"))
        assert re.search(rf"Agency checks {WHEN} Met on ", text_of(section(later, "deadlines")))

    async with signed_in(live_api, "duty.police", "agency", agency="police") as partner:
        refused = await partner.open(f"/work/cases/{referral_id}", status=403)
        assert "You do not have access to this." in text_of(refused)
        assert "Sam Example" not in refused


async def test_new_information_through_the_case_page(live_api: LiveApi) -> None:
    referral_id, _ = await screened_case(live_api)
    path = f"/work/cases/{referral_id}"
    form = f"{path}/information"
    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        html = await pat.open(path)
        assert 'id="no-information"' in html

        blank = await pat.submit(form, {"source": "school", "text": "  "}, page=html, status=422)
        assert 'id="f-text-error"' in blank.text and "Text is required" in text_of(blank.text)
        assert 'href="#f-text"' in blank.text  # the error summary links to the field
        assert 'value="school"' in blank.text  # what was typed is kept

        said = "The school saw new bruising on Monday."
        added = await pat.submit(form, {"source": "school", "text": said}, page=blank.text)
        assert added.headers["location"].startswith(f"{path}?notice=")
        after = await pat.open(added.headers["location"])
        assert "The new information is on the case." in text_of(after)
        information = text_of(section(after, "information-received"))
        assert "school" in information and said in information
        assert "pat.practitioner" in information
        assert "Review of new information" in text_of(section(after, "tasks"))
        assert "New information recorded From school: " + said in text_of(
            section(after, "chronology")
        )

        # A form without the session's CSRF token changes nothing.
        forged = await pat.client.post(form, data={"source": "x", "text": "y"})
        assert forged.status_code == 403

        # One caller may add only so much to one case: the page says to wait, nothing lost.
        for n in range(19):
            more = await live_api.client.post(
                f"/referrals/{referral_id}/information",
                json={"text": f"Call {n}.", "source": "school"},
                headers=live_api.staff.practitioner,
            )
            assert more.status_code == 200, more.text
        typed = "A neighbour heard shouting late at night."
        limited = await pat.submit(
            form, {"source": "neighbour", "text": typed}, page=after, status=429
        )
        assert "wait and try again" in text_of(limited.text)
        assert typed in limited.text and 'value="neighbour"' in limited.text


async def test_a_partner_cannot_add_to_a_case_through_its_page(live_api: LiveApi) -> None:
    referral_id = await take_in(live_api)
    async with (
        signed_in(live_api, "pat.practitioner", "practitioner") as pat,
        signed_in(live_api, "duty.health", "agency", agency=Agency.health.value) as partner,
    ):
        page = await pat.open(f"/work/cases/{referral_id}")  # a page with a form to copy
        token = re.search(r'name="csrf" value="([^"]+)"', await partner.open("/work"))
        assert token is not None and page
        refused = await partner.client.post(
            f"/work/cases/{referral_id}/information",
            data={"csrf": token.group(1), "source": "health", "text": "We know them."},
        )
        assert refused.status_code == 404  # not asked about this case: the API's answer


@pytest.mark.timeout(300)
async def test_the_inbox_and_the_case_page_in_a_browser_pass_axe(
    served_api: str, live_api: LiveApi, tmp_path: Path
) -> None:
    referral_id, checks = await screened_case(live_api)
    visits = Visits(tmp_path)
    async with chromium() as browser:
        pat = await sign_in(browser, served_api, "pat.practitioner", "practitioner")
        await expect(pat.get_by_role("heading", level=1)).to_have_text("My work and my team's work")
        await visits.check(pat, "inbox")
        await pat.get_by_role("button", name="Claim acknowledge the referrer task").click()
        await expect(pat.locator("#notice")).to_contain_text("You hold the acknowledge")
        await pat.get_by_label("Tasks I hold").check()
        await pat.get_by_role("button", name="Apply filters").click()
        await expect(pat.locator("#tasks")).to_contain_text("pat.practitioner (you)")
        await visits.check(pat, "inbox-mine")

        await pat.get_by_role("link", name=f"Case {referral_id[:8]}").first.click()
        await expect(pat.get_by_role("heading", level=1)).to_have_text("Sam Example")
        await visits.check(pat, "case")
        await pat.get_by_label("Who it came from").fill("school")
        await pat.get_by_role("button", name="Add the information").click()
        await expect(pat.locator("#error-summary")).to_contain_text("Text is required")
        await visits.check(pat, "case-errors")
        await pat.get_by_label("What they said").fill("New bruising seen at school.")
        await pat.get_by_role("button", name="Add the information").click()
        await expect(pat.locator("#information-received")).to_contain_text("New bruising")

        mo = await sign_in(browser, served_api, "mo.manager", "manager")
        await mo.get_by_label("Give to (user ID): agency check (police)").fill("nobody.known")
        await mo.get_by_role("button", name="Assign agency check (police)").click()
        await expect(mo.locator("#error-summary")).to_contain_text("not a member of staff")
        await visits.check(mo, "inbox-assign-error")

        police = await sign_in(browser, served_api, "duty.police", "agency", agency="police")
        await expect(police.locator(f"#task-{checks['police']}")).to_contain_text("Agency check")
        await visits.check(police, "inbox-partner")
    assert visits.blocking() == []
