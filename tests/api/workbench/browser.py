"""The workbench in a real browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright
(`executable_path`; Playwright's own browsers are never downloaded), one browser context (its
own cookies) per member of staff. Every page a test visits is checked with axe-core (vendored in
tests/api/workbench/axe, run in the page against WCAG 2.2 A and AA) and photographed into the
test's output folder (and FRONTDOOR_SCREENSHOT_DIR, if set, for the docs)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "axe" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    path = shutil.which(CHROMIUM) or shutil.which("chromium")
    if path is None:
        pytest.fail("Chromium is missing: install Debian's package (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=path, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Visits:
    """The pages a test saw: their screenshots and what axe found on each."""

    folder: Path
    findings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    count: int = 0

    async def check(self, page: Page, name: str) -> list[dict[str, Any]]:
        """Photograph `page` as `name` and run axe on it; its violations (all impacts)."""
        self.count += 1
        shot = self.folder / f"{self.count:02d}-{name}.png"
        await page.screenshot(path=str(shot), full_page=True)
        keep = os.environ.get("FRONTDOOR_SCREENSHOT_DIR")
        if keep:  # for the docs: the top of the page, small enough to keep in the repository
            await page.screenshot(
                path=str(Path(keep) / f"{name}.jpg"), type="jpeg", quality=70, full_page=False
            )
        if not await page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated over the DevTools protocol: the page's CSP (scripts from 'self' only)
            # stays on for the page's own scripts.
            await page.evaluate(AXE.read_text())
        result = await page.evaluate(
            "async (tags) => JSON.stringify(await axe.run(document, "
            "{runOnly: {type: 'tag', values: tags}}))",
            WCAG,
        )
        violations: list[dict[str, Any]] = json.loads(result)["violations"]
        self.findings[f"{self.count:02d}-{name}"] = violations
        (self.folder / "axe.json").write_text(json.dumps(self.findings, indent=1))
        return violations

    def blocking(self) -> list[str]:
        """Serious and critical violations, page by page, in words."""
        return [
            f"{page}: {v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:3])
            for page, violations in self.findings.items()
            for v in violations
            if v.get("impact") in BLOCKING
        ]


async def sign_in(
    browser: Browser, base: str, user_id: str, role: str, agency: str | None = None
) -> Page:
    """A new browser context for `user_id`, signed in through the development form."""
    context = await browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto("/work")  # no session: sent to the form
    assert "/sign-in" in page.url
    await page.get_by_label("User id").fill(user_id)
    await page.get_by_label("Your name").fill(user_id.replace(".", " ").title())
    await page.get_by_label(role.replace("_", " "), exact=True).check()
    if agency:
        await page.get_by_label("Agency (partners only)").select_option(agency)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/work**")
    return page
