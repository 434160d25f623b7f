"""The network view for a MACE meeting as a real browser renders it: headless Chromium against
`frontdoor api` over HTTP, the practitioner's token sent as an identity-aware proxy would send
it; a screenshot kept in the test's output folder (and in FRONTDOOR_SCREENSHOT_DIR if set)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import pytest

from tests.api.browser import Browser
from tests.api.conftest import LiveApi
from tests.api.test_links import AMIR, KAI, TYLER, contact, post

CHROMIUM = "/usr/bin/chromium"


async def _linked_cases(api: LiveApi) -> str:
    """Three children around a park and a peer group; the first child's referral id."""
    ids = []
    for child in (TYLER, KAI, AMIR):
        answer = await api.client.post(
            "/referrals",
            json=contact(child, [], "Out late at the skate ramp."),
            headers={**api.staff.practitioner, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["referral_id"])
    park = await post(api, "/places", {"kind": "park", "name": "Mill Park skate ramp"})
    group = await post(api, "/peer-groups", {"name": "The Mill Lane boys"})
    for referral, entity in ((ids[0], park), (ids[1], park), (ids[0], group), (ids[2], group)):
        body = {"kind": entity["kind"], "entity_id": entity["entity_id"], "reason": "Seen there."}
        await post(api, f"/referrals/{referral}/links", body)
    return str(ids[0])


@pytest.mark.timeout(240)
async def test_headless_chromium_renders_the_network_view(
    served_api: str, live_api: LiveApi, tmp_path: Path
) -> None:
    chromium = shutil.which(CHROMIUM) or shutil.which("chromium")
    if chromium is None:
        pytest.fail("Chromium is missing: install Debian's package (apt-get install -y chromium)")
    referral_id = await _linked_cases(live_api)
    url = f"{served_api}/referrals/{referral_id}/network?format=html"
    screenshot = tmp_path / "network.png"
    token = live_api.staff.practitioner

    def as_a_practitioner() -> tuple[str, int, int]:
        with Browser(chromium, tmp_path / "profile") as browser:
            browser.page("Network.enable")
            browser.page("Network.setExtraHTTPHeaders", headers=token)
            browser.open(url, arrives_at=f"/referrals/{referral_id}/network")
            browser.wait_for("document.querySelector('#network-drawing') !== null")
            box = browser.evaluate(
                "JSON.stringify(document.querySelector('#network-drawing').getBoundingClientRect())"
            )
            shapes = browser.evaluate("document.querySelectorAll('#network-drawing g.node').length")
            browser.screenshot(screenshot, height=1400)
            return browser.dom(), int(shapes), len(str(box))

    dom, shapes, box = await asyncio.to_thread(as_a_practitioner)

    assert shapes == 5 and box > 0  # three children, the park, the group: drawn
    assert "Network around Tyler Brown" in dom
    for label in ("Kai Osei", "Amir Hassan", "Mill Park skate ramp", "The Mill Lane boys"):
        assert label in dom
    assert dom.count('<tr id="link-') == 4  # the same links, listed for screen readers
    assert "<script" not in dom
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
    keep = os.environ.get("FRONTDOOR_SCREENSHOT_DIR")
    if keep:
        shutil.copy(screenshot, Path(keep) / "network.png")
