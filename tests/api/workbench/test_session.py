"""Signing in to the workbench and out again: the session cookie, the page wanted afterwards
(on this site only), CSRF on signing out, and the sign-in form's own errors."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.api.conftest import LiveApi
from tests.api.workbench.pages import hidden, signed_in, text_of

WORKBENCH = Path(__file__).parents[3] / "api" / "workbench"


async def test_signing_in_sets_a_site_wide_http_only_strict_cookie_and_goes_where_asked(
    live_api: LiveApi,
) -> None:
    api = live_api.client
    form = await api.get("/sign-in", params={"next": "/dashboard"})
    assert form.status_code == 200
    assert hidden(form.text, "next") == "/dashboard"
    answer = await api.post(
        "/sign-in",
        data={
            "csrf": hidden(form.text, "csrf"),
            "user_id": "mo.manager",
            "role": "manager",
            "next": "/dashboard",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/;" in cookie
    assert (await api.get("/dashboard")).status_code == 200
    api.cookies.clear()


async def test_after_signing_in_only_a_page_of_this_site_is_followed(live_api: LiveApi) -> None:
    api = live_api.client
    for wanted in ("//evil.example/x", "https://evil.example/", "\\\\evil.example", ""):
        form = await api.get("/sign-in", params={"next": wanted})
        assert hidden(form.text, "next") == "/work"
        answer = await api.post(
            "/sign-in",
            data={
                "csrf": hidden(form.text, "csrf"),
                "user_id": "pat.practitioner",
                "role": "practitioner",
                "next": wanted,
            },
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/work"
        api.cookies.clear()


async def test_the_sign_in_form_shows_its_errors_in_the_error_summary(live_api: LiveApi) -> None:
    api = live_api.client
    form = await api.get("/sign-in")
    answer = await api.post(
        "/sign-in",
        data={"csrf": hidden(form.text, "csrf"), "user_id": "", "role": "agency", "agency": ""},
    )
    assert answer.status_code == 422
    page = text_of(answer.text)
    assert page.startswith("Error: Sign in")  # the title says so first, for screen readers
    assert "There is a problem" in page and "an agency for a partner" in page
    assert 'href="#f-user_id"' in answer.text and 'id="f-user_id-error"' in answer.text
    api.cookies.clear()


async def test_signing_out_needs_the_sessions_csrf_token_and_ends_the_session(
    live_api: LiveApi,
) -> None:
    async with signed_in(live_api, "mo.manager", "manager") as manager:
        client: httpx.AsyncClient = manager.client
        assert (await client.get("/dashboard")).status_code == 200
        forged = await client.post("/sign-out", data={"csrf": "guess"})
        assert forged.status_code == 403
        assert (await client.get("/dashboard")).status_code == 200  # still signed in
        page = await client.get("/sign-in")  # any page with the layout's sign-out form
        signed_out = await manager.submit("/sign-out", {}, page=await _layout_page(client))
        assert signed_out.headers["location"] == "/sign-in"
        assert (await client.get("/dashboard")).status_code == 401
        assert page.status_code == 200


async def _layout_page(client: httpx.AsyncClient) -> str:
    """A workbench page as the signed-in member of staff sees it (with the sign-out form)."""
    page = await client.get("/work/no-such-page")  # the workbench's own "not found" page
    assert page.status_code == 404 and "Page not found" in page.text
    assert 'action="/sign-out"' in page.text, page.text[:500]
    return page.text


async def test_every_form_of_the_workbench_needs_the_sessions_csrf_token(
    live_api: LiveApi,
) -> None:
    """Each POST under /work, sent by a signed-in browser without the token or with another
    session's, is refused with 403 before anything is done."""
    posts = sorted(
        path
        for module in WORKBENCH.glob("*.py")
        for path in re.findall(r'@router\.post\(\s*"(/work[^"]*)"', module.read_text())
    )
    assert len(posts) >= 9, posts  # intake, its check, tasks, claim, release, assign, case, audits
    some_id = "0b6f9f5e-8a4c-4d0e-9a55-6d6f1f3a2b10"
    async with (
        signed_in(live_api, "mo.manager", "manager") as manager,
        signed_in(live_api, "pat.practitioner", "practitioner") as other,
    ):
        other_token = hidden(await other.open("/work"), "csrf")
        for path in posts:
            address = re.sub(r"\{[^}]+\}", some_id, path)
            for sent in ({}, {"csrf": other_token}):
                answer = await manager.client.post(address, data={**sent, "text": "x"})
                assert answer.status_code == 403, (path, sent, answer.status_code)
                assert "came from another site" in text_of(answer.text)
