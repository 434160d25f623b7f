"""Using the workbench as a browser would, over HTTP: a member of staff signs in with the
development form (holding the session cookie), opens pages and posts their forms with the CSRF
token and Idempotency-Key each form carries. Pages are read as HTML (html.parser, stdlib)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx

from tests.api.conftest import LiveApi


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    """What the page says, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def hidden(html: str, name: str) -> str:
    """The value of the first hidden input called `name`."""
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    assert match is not None, f"no hidden {name} on the page"
    return match.group(1)


@dataclass
class Person:
    """A signed-in member of staff with their own browser (cookie jar)."""

    client: httpx.AsyncClient

    async def open(self, path: str, status: int = 200) -> str:
        page = await self.client.get(path)
        assert page.status_code == status, f"GET {path} -> {page.status_code}: {page.text[:2000]}"
        return page.text

    async def submit(
        self, path: str, form: dict[str, Any], *, page: str | None = None, status: int = 303
    ) -> httpx.Response:
        """Post `form` to `path` with the CSRF token (and the Idempotency-Key, if the form has
        one) of `page` (the form's page as opened; opened now if not given)."""
        page = page if page is not None else await self.open(path)
        fields: dict[str, Any] = {"csrf": hidden(page, "csrf"), **form}
        if 'name="idempotency_key"' in page and "idempotency_key" not in form:
            fields["idempotency_key"] = hidden(page, "idempotency_key")
        answer = await self.client.post(path, data=fields)
        assert answer.status_code == status, (
            f"POST {path} -> {answer.status_code}: {text_of(answer.text)[:2000]}"
        )
        return answer


@asynccontextmanager
async def signed_in(
    live_api: LiveApi, user_id: str, role: str, agency: str = ""
) -> AsyncIterator[Person]:
    """`user_id` signed in as `role` in a browser of their own."""
    transport = live_api.client._transport  # the same app, another cookie jar
    async with httpx.AsyncClient(transport=transport, base_url="http://frontdoor") as client:
        form = await client.get("/sign-in")
        answer = await client.post(
            "/sign-in",
            data={
                "csrf": hidden(form.text, "csrf"),
                "user_id": user_id,
                "name": user_id.replace(".", " ").title(),
                "role": role,
                "agency": agency,
                "next": "/work",
            },
        )
        assert answer.status_code == 303, answer.text
        yield Person(client)
