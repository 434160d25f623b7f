"""Staff tokens from an OpenID Connect issuer, verified against its JWKS; development tokens
only in development mode. The issuer is a small local one serving its keys over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

from api.app import create_app
from api.auth import AuthError, StaffRole, User, issue_token, verify_token
from core.settings import Settings


@dataclass
class Issuer:
    """An identity provider on 127.0.0.1 with keys that can be rotated."""

    url: str = ""
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    fetches: int = 0

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        found = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            found.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": found}

    def token(self, kid: str, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.url, "aud": "frontdoor-api", "sub": "jo.manager", "name": "Jo",
            "roles": ["manager"], "iat": now, "exp": now + 600, **claims,
        }  # fmt: skip
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    state = Issuer()
    state.add_key("key-1")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": state.url, "jwks_uri": f"{state.url}/jwks"}
            elif self.path == "/jwks":
                state.fetches += 1
                body = state.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()


def _settings(issuer: Issuer, **changes: Any) -> Settings:
    return Settings(
        oidc_issuer=issuer.url, dev_mode=False, oidc_refetch_cooldown_seconds=0, **changes
    )


def test_a_token_from_the_issuer_names_the_user_and_roles(issuer: Issuer) -> None:
    user = verify_token(
        _settings(issuer), issuer.token("key-1", roles=["agency"], agency="police", sub="pc.1")
    )
    assert (user.user_id, user.roles, user.agency) == ("pc.1", [StaffRole.agency], "police")


def test_claims_are_mapped_by_settings(issuer: Issuer) -> None:
    settings = _settings(issuer, oidc_roles_claim="groups", oidc_user_claim="email")
    token = issuer.token("key-1", groups=["practitioner"], email="pat@council.example")
    user = verify_token(settings, token)
    assert (user.user_id, user.roles) == ("pat@council.example", [StaffRole.practitioner])


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"exp": int(time.time()) - 60}, "has expired"),
        ({"aud": "another-app"}, "not valid"),
        ({"iss": "http://somewhere.else"}, "not valid"),
        ({"roles": ["superuser"]}, "known role"),
    ],
)
def test_bad_tokens_from_the_issuer_are_refused(
    issuer: Issuer, claims: dict[str, Any], problem: str
) -> None:
    with pytest.raises(AuthError, match=problem):
        verify_token(_settings(issuer), issuer.token("key-1", **claims))


def test_a_rotated_key_is_fetched_and_a_forged_one_refused(issuer: Issuer) -> None:
    settings = _settings(issuer)
    verify_token(settings, issuer.token("key-1"))
    issuer.add_key("key-2")  # the issuer rotates: new tokens carry the new key id
    assert verify_token(settings, issuer.token("key-2")).user_id == "jo.manager"
    forged = Issuer(url=issuer.url)
    forged.add_key("key-1")  # same key id, different key
    with pytest.raises(AuthError, match="not valid"):
        verify_token(settings, forged.token("key-1"))


def test_development_tokens_only_in_development_mode(issuer: Issuer) -> None:
    person = User(user_id="dev", name="Dev", roles=[StaffRole.manager])
    development = Settings(
        dev_mode=True, auth_secret=SecretStr("a-development-signing-key-long-enough")
    )
    token = issue_token(development, person)
    assert verify_token(development, token).user_id == "dev"
    production = _settings(issuer, auth_secret=SecretStr("a-development-signing-key-long-enough"))
    with pytest.raises(AuthError, match="only in development mode"):
        verify_token(production, token)


def test_outside_development_the_api_needs_an_identity_provider() -> None:
    settings = Settings(
        dev_mode=False, temporal_address="127.0.0.1:7233", database_url="postgresql://x/y"
    )
    with pytest.raises(RuntimeError, match="FRONTDOOR_OIDC_ISSUER"):
        create_app(settings)
