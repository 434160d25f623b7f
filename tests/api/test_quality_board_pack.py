"""The board pack as headless Chromium renders it: the page the API serves for March 2026 (with
the known data set of the performance tests), opened from a file (the session cookie opens only
/dashboard), photographed, and its figures read back from the browser's DOM equal to
`/performance`'s for the month."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from api.auth import StaffRole
from tests.api.browser import Browser
from tests.api.conftest import LiveApi
from tests.api.test_dashboard import CHROMIUM
from tests.api.test_performance import add_known_data

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.mark.timeout(240)
async def test_headless_chromium_renders_the_board_pack(live_api: LiveApi, tmp_path: Path) -> None:
    chromium = shutil.which(CHROMIUM) or shutil.which("chromium")
    if chromium is None:
        pytest.fail("Chromium is missing: install Debian's package (apt-get install -y chromium)")
    await add_known_data(live_api.pool)
    headers = live_api.staff.headers("ivy.independent", StaffRole.oversight)
    measures = (await live_api.client.get("/performance", params=MARCH, headers=headers)).json()
    pack = await live_api.client.get("/board-pack/2026-03", headers=headers)
    assert pack.status_code == 200
    page = tmp_path / "board-pack-2026-03.html"
    page.write_text(pack.text, encoding="utf-8")
    screenshot = tmp_path / "board-pack.png"

    def render() -> str:
        with Browser(chromium, tmp_path / "profile") as browser:
            browser.open(page.as_uri(), arrives_at=page.as_uri().removeprefix("file://"))
            browser.wait_for("document.querySelector('#targets table') !== null")
            browser.screenshot(screenshot)
            return browser.dom()

    dom = await asyncio.to_thread(render)

    def shown(element: str) -> str:
        match = re.search(rf'id="{element}".*?data-value="([^"]*)"', dom, re.DOTALL)
        assert match, element
        return match.group(1)

    assert (
        float(shown("target-decisions_within_one_working_day"))
        == (measures["decisions"]["period"]["within_one_working_day"]["percent"])
    )
    assert int(shown("figure-referrals")) == measures["decisions"]["period"]["referrals"]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
    keep = os.environ.get("FRONTDOOR_SCREENSHOT_DIR")
    if keep:
        shutil.copy(screenshot, Path(keep) / "board-pack.png")
