"""Who is calling: staff tokens are HS256 JWTs carrying the user id, display name, roles and, for
partners, the agency. Verification lives here and nowhere else, so an external identity provider
can replace it later. Tokens carry staff identities only, never a child's data.
"""

from __future__ import annotations

import json
import secrets
import urllib.request
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import jwt
from pydantic import BaseModel, Field, ValidationError, model_validator

from core.settings import Settings
from core.state_keys import made_once
from domain.tasks import Agency, Team, agency_team

_ALGORITHM = "HS256"


class StaffRole(StrEnum):
    practitioner = "practitioner"
    manager = "manager"
    agency = "agency"
    engineer = "engineer"
    # Answers subject access requests: exports a child's whole record, works no cases.
    records_officer = "records_officer"


class User(BaseModel):
    """The member of staff behind a request."""

    user_id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    roles: list[StaffRole] = Field(min_length=1)
    agency: Agency | None = None

    @model_validator(mode="after")
    def _partners_name_their_agency(self) -> User:
        if StaffRole.agency in self.roles and self.agency is None:
            raise ValueError("a partner (role agency) must name their agency")
        return self

    def has(self, *roles: StaffRole) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def teams(self) -> set[str]:
        """The teams whose tasks this user may work on."""
        teams: set[str] = set()
        if self.has(StaffRole.practitioner):
            teams.add(Team.practitioners.value)
        if self.has(StaffRole.manager):  # managers may also act on their practitioners' tasks
            teams |= {Team.managers.value, Team.practitioners.value, Team.exploitation.value}
        if self.has(StaffRole.agency) and self.agency is not None:
            teams.add(agency_team(self.agency))
        return teams

    @property
    def is_partner(self) -> bool:
        return self.has(StaffRole.agency) and not self.has(
            StaffRole.practitioner, StaffRole.manager
        )


class AuthError(Exception):
    """The request carries no usable token; the message says what is wrong with it."""


def signing_key(settings: Settings) -> str:
    """The configured key, or one made once and kept in the state folder (development)."""
    if settings.auth_secret is not None:
        return settings.auth_secret.get_secret_value()
    return made_once(settings.state_dir, "auth-signing-key", lambda: secrets.token_urlsafe(48))


def issue_token(settings: Settings, user: User, *, ttl: timedelta = timedelta(hours=12)) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user.user_id,
        "name": user.name,
        "roles": [role.value for role in user.roles],
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "iat": now,
        "exp": now + ttl,
    }
    if user.agency is not None:
        claims["agency"] = user.agency.value
    return jwt.encode(claims, signing_key(settings), algorithm=_ALGORITHM)


def verify_token(settings: Settings, token: str) -> User:
    """The user a token names, or AuthError: bad signature, expired, wrong issuer or audience.

    Tokens from the identity provider (asymmetric, checked against its JWKS) are accepted
    always; development tokens from `frontdoor token` (HS256) only in development mode."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as err:
        raise AuthError(f"the token is not valid ({err})") from err
    if header.get("alg") == _ALGORITHM:
        if not settings.dev_mode:
            raise AuthError("development tokens are accepted only in development mode")
        claims = _decode(
            token, signing_key(settings), [_ALGORITHM], settings.auth_issuer, settings.auth_audience
        )
        return _user(claims, "sub", "name", "roles", "agency")
    if settings.oidc_issuer is None:
        raise AuthError("no identity provider is configured (FRONTDOOR_OIDC_ISSUER)")
    try:
        jwks = _jwks(_jwks_url(settings), settings.oidc_refetch_cooldown_seconds)
        key = jwks.get_signing_key_from_jwt(token).key
    except (jwt.PyJWKClientError, jwt.InvalidTokenError, OSError, ValueError) as err:
        raise AuthError(f"the token's signing key could not be found ({err})") from err
    claims = _decode(
        token, key, settings.oidc_algorithms, settings.oidc_issuer, settings.oidc_audience
    )
    return _user(
        claims,
        settings.oidc_user_claim,
        settings.oidc_name_claim,
        settings.oidc_roles_claim,
        settings.oidc_agency_claim,
    )


def _decode(
    token: str, key: Any, algorithms: list[str], issuer: str, audience: str
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as err:
        raise AuthError("the token has expired; sign in again") from err
    except jwt.InvalidTokenError as err:
        raise AuthError(f"the token is not valid ({err})") from err
    return claims


def _user(claims: dict[str, Any], user: str, name: str, roles: str, agency: str) -> User:
    try:
        return User(
            user_id=claims[user],
            name=claims.get(name) or claims[user],
            roles=claims.get(roles, []),
            agency=claims.get(agency),
        )
    except (KeyError, ValidationError) as err:
        raise AuthError("the token does not name a user with a known role and agency") from err


@lru_cache(maxsize=8)
def _jwks_url_of(issuer: str) -> str:
    """The issuer's JWKS address, from its OpenID configuration (fetched once)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - configured issuer
        config = json.load(response)
    return str(config["jwks_uri"])


def _jwks_url(settings: Settings) -> str:
    if settings.oidc_jwks_url:
        return settings.oidc_jwks_url
    assert settings.oidc_issuer is not None
    return _jwks_url_of(settings.oidc_issuer)


@lru_cache(maxsize=8)
def _jwks(url: str, cooldown: float) -> jwt.PyJWKClient:
    """One key set client per address: the set is cached, and an unknown key id (the issuer
    rotated its keys) makes the client fetch it again, at most once per `cooldown` seconds."""
    return jwt.PyJWKClient(
        url, cache_jwk_set=True, lifespan=300, timeout=5, cooldown_duration=cooldown
    )
