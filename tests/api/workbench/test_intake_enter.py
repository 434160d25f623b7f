"""Pressing Enter in a field of the intake form (in Debian's Chromium) takes the contact in, as
"Take in the contact" does, rather than showing one more child's group: the form's first submit
button is a copy of it, out of sight, out of the tab order and hidden from assistive technology
(the page still passes axe-core)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.api.conftest import LiveApi
from tests.api.workbench.browser import Visits, chromium, sign_in


async def test_enter_in_the_referrers_name_takes_the_contact_in_not_another_child(
    live_api: LiveApi, served_api: str, tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    async with chromium() as browser:
        page = await sign_in(browser, served_api, "pat.practitioner", "practitioner")
        await page.goto("/work/contacts/new")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Take in a contact")
        # One "Take in the contact" button for a screen reader or voice control: the visible one.
        await expect(page.get_by_role("button", name="Take in the contact")).to_have_count(1)
        await visits.check(page, "intake-fresh")
        children = page.locator("input[name^='children.'][name$='.name']")
        shown = await children.count()

        # Tabbing through the page never lands on the hidden default button.
        focused: list[str] = []
        for _ in range(60):
            await page.keyboard.press("Tab")
            focused.append(await page.evaluate("document.activeElement.id || ''"))
            if focused[-1] == "f-referrer-name":
                break
        assert focused[-1] == "f-referrer-name", focused
        assert "take-in-default" not in focused

        referrer = page.get_by_role("group", name="Who made the referral and how to reach them")
        name = referrer.get_by_label("Name", exact=True)
        await name.fill("A Teacher")
        await name.press("Enter")
        # Taken in, so the API's errors for what is missing; not a second child's group.
        await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_contain_text("Who made the contact (source) is required")
        await expect(summary).to_contain_text("The concern is required")
        await expect(children).to_have_count(shown)
        await expect(page.locator("#take-in-default")).to_have_count(1)
        await expect(name).to_have_value("A Teacher")  # what was typed is kept
        await visits.check(page, "intake-enter-errors")

        # "Add another child" still adds one.
        await page.get_by_role("button", name="Add another child").click()
        await expect(page.get_by_role("heading", name="There is a problem")).to_have_count(0)
        await expect(children).to_have_count(shown + 1)
    assert visits.blocking() == []
    assert all(
        v["id"] != "aria-hidden-focus" for found in visits.findings.values() for v in found
    ), visits.findings
