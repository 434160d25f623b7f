"""`GET /dashboard`: who may open it, what its tiles say about a known data set, and the page as a
real browser signs in and renders it (headless Chromium against `frontdoor api` over HTTP)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.api.browser import Browser
from tests.api.conftest import LiveApi
from tests.api.test_performance import PARAMS, add_known_data

CHROMIUM = "/usr/bin/chromium"
TILE = re.compile(r'id="tile-(\w+)".*?data-value="([^"]*)"', re.DOTALL)


def tiles(page: str) -> dict[str, str]:
    return dict(TILE.findall(page))


async def test_tiles_charts_agencies_and_overdue_work_of_a_known_data_set(
    live_api: LiveApi,
) -> None:
    known = await add_known_data(live_api.pool)

    response = await live_api.client.get(
        "/dashboard", params=PARAMS, headers=live_api.staff.manager
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]  # no script at all
    page = response.text
    assert tiles(page) == {
        "decisions": "50.0%",
        "seen": "50.0%",
        "overdue": "2",
        "referrals": "2",
        "acknowledged": "\u2013",
        "told": "\u2013",
        "assessments": "\u2013",
        "mace": "\u2013",
        "mace_actions": "0",
    }
    assert page.count("<svg") >= 6 and "<script" not in page
    assert 'id="agency-police"' in page
    assert f'href="/referrals/{known.overdue_referral}"' in page
    assert 'class="n level-2"' in page
    # Case audits sit in the same framework; none was submitted in the known data.
    assert 'id="audits"' in page and "No audit submitted in the period." in page
    assert 'id="exploitation"' in page and "Children linked to a place or adult of concern" in page


async def sign_in_with_the_form(
    api: httpx.AsyncClient, user: str = "mo.manager", role: str = "manager"
) -> httpx.Response:
    """What a browser does in development: open the form, post it with its CSRF token."""
    form = await api.get("/sign-in", params={"next": "/dashboard"})
    assert form.status_code == 200 and "text/html" in form.headers["content-type"]
    match = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert match is not None
    return await api.post(
        "/sign-in",
        data={
            "csrf": match.group(1),
            "user_id": user,
            "role": role,
            "agency": "",
            "next": "/dashboard",
        },
    )


async def test_a_browser_signs_in_with_a_form_and_then_holds_a_cookie(live_api: LiveApi) -> None:
    api = live_api.client
    browser = await api.get("/dashboard", params=PARAMS, headers={"Accept": "text/html"})
    assert browser.status_code == 303 and browser.headers["location"] == "/sign-in?next=/dashboard"

    response = await sign_in_with_the_form(api)

    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("frontdoor_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/;" in cookie
    assert "Secure" not in cookie  # development mode; production turns it on (test_headers)
    assert response.headers["referrer-policy"] == "no-referrer"
    page = await api.get("/dashboard", params=PARAMS)
    assert page.status_code == 200 and 'id="tile-referrals"' in page.text
    assert page.headers["cache-control"] == "no-store"
    api.cookies.clear()


async def test_the_form_needs_its_csrf_token(live_api: LiveApi) -> None:
    api = live_api.client
    await api.get("/sign-in")  # the cookie half of the pair, without the form's half
    forged = await api.post("/sign-in", data={"csrf": "guess", "user_id": "x", "role": "manager"})
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    api.cookies.clear()
    no_cookie = await api.post("/sign-in", data={"csrf": "x", "user_id": "x", "role": "manager"})
    assert no_cookie.status_code == 403


async def test_only_managers_open_the_dashboard(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    assert (await api.get("/dashboard")).status_code == 401
    assert (await api.get("/dashboard", headers=staff.practitioner)).status_code == 403
    practitioner = staff.practitioner["Authorization"].removeprefix("Bearer ")
    # A token in the address is not a way in any more.
    assert (await api.get("/dashboard", params={"token": practitioner})).status_code == 401
    manager = staff.manager["Authorization"].removeprefix("Bearer ")
    assert (await api.get("/dashboard", params={"token": manager})).status_code == 401
    signed_in = await sign_in_with_the_form(api, "pat.practitioner", "practitioner")
    assert signed_in.status_code == 303
    assert (await api.get("/dashboard")).status_code == 403
    api.cookies.clear()
    api.cookies.set("frontdoor_session", manager)  # a bearer token is not a session
    assert (await api.get("/dashboard")).status_code == 401
    api.cookies.clear()
    bad = await api.get(
        "/dashboard", params={"from": "2026-03-16", "to": "2026-03-15"}, headers=staff.manager
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "from"


async def _chromium(chromium: str, profile: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


@pytest.mark.timeout(240)
async def test_headless_chromium_signs_in_and_shows_the_known_numbers(
    served_api: str, live_api: LiveApi, tmp_path: Path
) -> None:
    chromium = shutil.which(CHROMIUM) or shutil.which("chromium")
    if chromium is None:
        pytest.fail("Chromium is missing: install Debian's package (apt-get install -y chromium)")
    await add_known_data(live_api.pool)
    url = f"{served_api}/dashboard?{urlencode(PARAMS)}"
    screenshot = tmp_path / "dashboard.png"

    def as_a_manager() -> str:
        with Browser(chromium, tmp_path / "profile") as browser:
            browser.open(url, arrives_at="/sign-in")  # no session yet: the form
            browser.evaluate(
                "document.getElementById('f-user_id').value = 'mo.manager';"
                "document.querySelector('input[name=role][value=manager]').checked = true;"
                "document.getElementById('sign-in').submit()"
            )
            browser.wait_for("location.pathname === '/dashboard'")
            browser.open(url, arrives_at="/dashboard")
            browser.screenshot(screenshot)
            return browser.dom()

    dom = await asyncio.to_thread(as_a_manager)

    assert tiles(dom) == {
        "decisions": "50.0%",
        "seen": "50.0%",
        "overdue": "2",
        "referrals": "2",
        "acknowledged": "\u2013",
        "told": "\u2013",
        "assessments": "\u2013",
        "mace": "\u2013",
        "mace_actions": "0",
    }
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
    keep = os.environ.get("FRONTDOOR_SCREENSHOT_DIR")
    if keep:
        shutil.copy(screenshot, Path(keep) / "dashboard.png")
