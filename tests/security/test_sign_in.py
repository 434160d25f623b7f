"""Signing in to the dashboard through the identity provider: the authorization-code flow with
state, nonce and PKCE, against a small local provider (discovery, JWKS, a token endpoint that
checks the code verifier and the client's secret). The test plays the browser and the person
who consents at the provider."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from pydantic import SecretStr

from tests.api.conftest import ClientFactory, LiveApi, api_client_for, live_api
from tests.security.test_identity import Issuer

__all__ = ["api_client_for", "live_api"]  # the API fixtures, from the API's tests

CLIENT_ID = "frontdoor-dashboard"
CLIENT_SECRET = "a-client-secret-known-to-the-provider"
REDIRECT = "http://frontdoor/sign-in/callback"


@dataclass
class Provider(Issuer):
    """An issuer that also hands out codes and exchanges them for ID tokens."""

    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    exchanges: int = 0

    def consent(self, authorize_url: str, **claims: Any) -> str:
        """The person signs in at the provider: a code bound to the request's challenge."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert query["code_challenge_method"] == "S256" and query["redirect_uri"] == REDIRECT
        code = f"code-{len(self.codes)}"
        self.codes[code] = {"query": query, "claims": claims}
        return code

    def exchange(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.exchanges += 1
        grant = self.codes.pop(form.get("code", ""), None)  # one use only
        if grant is None or form.get("client_secret") != CLIENT_SECRET:
            return 400, {"error": "invalid_grant"}
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if (
            base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            != grant["query"]["code_challenge"]
        ):
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {
            "iss": self.url, "aud": CLIENT_ID, "sub": "jo.manager", "name": "Jo",
            "roles": ["manager"], "iat": now, "exp": now + 300,
            "nonce": grant["query"]["nonce"], **grant["claims"],
        }  # fmt: skip
        token = jwt.encode(claims, self.keys["key-1"], algorithm="RS256", headers={"kid": "key-1"})
        return 200, {"id_token": token, "token_type": "Bearer"}


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider()
    state.add_key("key-1")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._answer(200, {
                    "issuer": state.url, "jwks_uri": f"{state.url}/jwks",
                    "authorization_endpoint": f"{state.url}/authorize",
                    "token_endpoint": f"{state.url}/token",
                })  # fmt: skip
            elif self.path == "/jwks":
                self._answer(200, state.jwks())
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            self._answer(*state.exchange(form))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()


@pytest.fixture
async def production_api(
    live_api: LiveApi, provider: Provider, api_client_for: ClientFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with development mode off, signing staff in through the provider."""
    settings = live_api.staff.settings.model_copy(
        update={
            "dev_mode": False,
            "oidc_issuer": provider.url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_redirect_uri": REDIRECT,
            "oidc_refetch_cooldown_seconds": 0,
            "cookie_secure": False,  # the test client speaks plain HTTP
        }
    )
    async with api_client_for(settings) as client:
        yield client


async def test_a_manager_signs_in_through_the_provider_and_opens_the_dashboard(
    production_api: httpx.AsyncClient, provider: Provider
) -> None:
    api = production_api
    start = await api.get("/sign-in", params={"next": "/dashboard"})
    assert start.status_code == 303
    authorize = start.headers["location"]
    assert authorize.startswith(f"{provider.url}/authorize?")
    code = provider.consent(authorize)
    state = parse_qs(urlsplit(authorize).query)["state"][0]

    back = await api.get("/sign-in/callback", params={"code": code, "state": state})

    assert back.status_code == 303 and back.headers["location"] == "/dashboard"
    assert "frontdoor_session=" in back.headers["set-cookie"]
    page = await api.get("/dashboard")
    assert page.status_code == 200 and "jo.manager" in page.text
    replayed = await api.get("/sign-in/callback", params={"code": code, "state": state})
    assert replayed.status_code == 400  # the sign-in is over: its state is good once
    assert provider.exchanges == 1


async def test_a_code_for_another_browser_or_without_its_verifier_signs_nobody_in(
    production_api: httpx.AsyncClient, provider: Provider
) -> None:
    api = production_api
    start = await api.get("/sign-in")
    authorize = start.headers["location"]
    code = provider.consent(authorize)
    state = parse_qs(urlsplit(authorize).query)["state"][0]

    # Login CSRF: the attacker's own code and state, in a browser that began no sign-in.
    api.cookies.clear()
    planted = await api.get("/sign-in/callback", params={"code": code, "state": state})
    assert planted.status_code == 400 and "set-cookie" not in planted.headers
    assert provider.exchanges == 0  # refused before the code was even tried

    # A browser that began its own sign-in cannot use someone else's state.
    await api.get("/sign-in")
    other = await api.get("/sign-in/callback", params={"code": code, "state": "not-mine"})
    assert other.status_code == 400


async def test_an_id_token_with_the_wrong_nonce_or_role_is_refused(
    production_api: httpx.AsyncClient, provider: Provider
) -> None:
    api = production_api
    for claims, problem in (({"nonce": "replayed"}, "nonce"), ({"roles": ["root"]}, "roles")):
        start = await api.get("/sign-in")
        authorize = start.headers["location"]
        code = provider.consent(authorize, **claims)
        state = parse_qs(urlsplit(authorize).query)["state"][0]
        back = await api.get("/sign-in/callback", params={"code": code, "state": state})
        assert back.status_code == 401 and problem in back.json()["error"]["message"]
        assert (await api.get("/dashboard")).status_code == 401


async def test_the_development_form_is_not_offered_in_production(
    production_api: httpx.AsyncClient,
) -> None:
    posted = await production_api.post(
        "/sign-in", data={"csrf": "x", "user_id": "mo", "role": "manager"}
    )
    assert posted.status_code == 404
