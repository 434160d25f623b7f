"""The workbench by keyboard alone, in Debian's Chromium: the skip link comes first, signing in
and filling in a form need no mouse, and focus is always visible where it lands."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.api.conftest import LiveApi
from tests.api.workbench.browser import Visits, chromium

FOCUSED = "document.activeElement"


async def _focused(page: Page) -> str:
    """The focused element: its tag, id or name, and its text."""
    return str(
        await page.evaluate(
            f"(() => {{ const e = {FOCUSED}; return [e.tagName, e.id || e.name || '', "
            "(e.innerText || e.value || '').trim().slice(0, 40)].join('|'); })()"
        )
    )


async def _outline_visible(page: Page) -> bool:
    """Whether the focused element shows GOV.UK's focus state (a yellow box or outline)."""
    return bool(
        await page.evaluate(
            f"(() => {{ const s = getComputedStyle({FOCUSED}); "
            "return s.outlineStyle !== 'none' || s.boxShadow !== 'none' || "
            "s.backgroundColor === 'rgb(255, 221, 0)'; })()"
        )
    )


@pytest.mark.timeout(240)
async def test_signing_in_and_skipping_to_the_content_by_keyboard_alone(
    served_api: str, live_api: LiveApi, tmp_path: Path
) -> None:
    visits = Visits(tmp_path)
    async with chromium() as browser:
        context = await browser.new_context(base_url=served_api)
        page = await context.new_page()
        await page.goto("/work")
        assert "/sign-in" in page.url

        await page.keyboard.press("Tab")  # the first stop is the skip link
        assert (await _focused(page)).startswith("A||Skip to main content")
        assert await _outline_visible(page)
        await page.keyboard.press("Enter")
        assert page.url.endswith("#main-content")

        # Into the form: the user id is the first field, then the name, then the role.
        while not (await _focused(page)).startswith("INPUT|f-user_id"):
            await page.keyboard.press("Tab")
        assert await _outline_visible(page)
        await page.keyboard.type("kay.keyboard")
        await page.keyboard.press("Tab")
        assert (await _focused(page)).startswith("INPUT|f-name")
        await page.keyboard.type("Kay Keyboard")
        await page.keyboard.press("Tab")  # the role radios: arrow keys move and choose
        assert (await _focused(page)).startswith("INPUT|f-role")
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowUp")  # back on the first role: practitioner
        assert await page.locator("input[name=role][value=practitioner]").is_checked()
        await visits.check(page, "sign-in-by-keyboard")
        await page.keyboard.press("Enter")  # implicit submission from a field
        await page.wait_for_url("**/work")
        await expect(page.locator("#signed-in-as")).to_have_text("Kay Keyboard")

        # The inbox's filters by keyboard: the first control after the skip link's target.
        await page.keyboard.press("Tab")
        first = await _focused(page)
        assert first.startswith("A||Skip to main content"), first
        await visits.check(page, "inbox-by-keyboard")
    assert visits.blocking() == []
