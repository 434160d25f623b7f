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
# No control characters (NUL, newlines, C1, line separators) in what a token says about a
# person: those values go into logs, the audit and PostgreSQL, which cannot store NUL.
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]+$"


class StaffRole(StrEnum):
    practitioner = "practitioner"
    manager = "manager"
    agency = "agency"
    engineer = "engineer"
    # Answers subject access requests: exports a child's whole record, works no cases.
    records_officer = "records_officer"
    # Audits closed cases (docs/quality-assurance.md); sees the cases of the audits given to them.
    auditor = "auditor"
    # The executive oversight group: aggregates only, never a child's details.
    oversight = "oversight"


class User(BaseModel):
    """The member of staff behind a request."""

    user_id: str = Field(min_length=1, max_length=200, pattern=_PRINTABLE)
    name: str = Field(min_length=1, max_length=200, pattern=_PRINTABLE)
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
            teams |= {Team.practitioners.value, Team.receiving.value}
        if self.has(StaffRole.manager):  # managers may also act on their practitioners' tasks
            teams |= {
                Team.managers.value,
                Team.practitioners.value,
                Team.exploitation.value,
                Team.receiving.value,
            }
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


def issue_token(settings: Settings, user: User, *, ttl: timedelta | None = None) -> str:
    """A development token for `user`, living `ttl` (default and at most the longest a token
    may live, `FRONTDOOR_MAX_TOKEN_HOURS`)."""
    now = datetime.now(UTC)
    ttl = ttl or timedelta(hours=settings.max_token_hours)
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
        _check_lifetime(settings, claims)
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
    _check_lifetime(settings, claims)
    return user_of_claims(settings, claims)


def user_of_claims(settings: Settings, claims: dict[str, Any]) -> User:
    """The user verified claims from the identity provider name, mapped by the settings."""
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
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as err:
        raise AuthError("the token has expired; sign in again") from err
    except jwt.InvalidTokenError as err:
        raise AuthError(f"the token is not valid ({err})") from err
    except (OverflowError, ValueError, TypeError) as err:  # exp or iat such as 1e400
        raise AuthError("the token is not valid (exp or iat is not a usable time)") from err
    return claims


def _check_lifetime(settings: Settings, claims: dict[str, Any]) -> None:
    """A token may live at most `FRONTDOOR_MAX_TOKEN_HOURS`: a stolen one is worth little."""
    exp, iat = claims["exp"], claims["iat"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat)):
        raise AuthError("the token is not valid (exp and iat must be numbers)")
    if exp - iat > settings.max_token_hours * 3600:
        raise AuthError(
            f"the token is not valid (exp: it lives longer than {settings.max_token_hours} hours)"
        )


def _user(claims: dict[str, Any], user: str, name: str, roles: str, agency: str) -> User:
    claim_of = {"user_id": user, "name": name, "roles": roles, "agency": agency}
    if user not in claims:
        raise AuthError(f"the token does not name a user (claim {user})")
    try:
        return User(
            user_id=claims[user],
            name=claims.get(name) or claims[user],
            roles=claims.get(roles, []),
            agency=claims.get(agency),
        )
    except ValidationError as err:
        loc = err.errors()[0].get("loc", ())
        claim = claim_of.get(str(loc[0]), user) if loc else agency
        raise AuthError(
            f"the token does not name a user with a known role and agency (claim {claim}: "
            "missing, unknown or holding characters a name cannot have)"
        ) from err


@lru_cache(maxsize=8)
def openid_configuration(issuer: str) -> dict[str, Any]:
    """The issuer's OpenID configuration (its endpoints and JWKS address), fetched once."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - configured issuer
        config: dict[str, Any] = json.load(response)
    return config


def _jwks_url(settings: Settings) -> str:
    if settings.oidc_jwks_url:
        return settings.oidc_jwks_url
    assert settings.oidc_issuer is not None
    return str(openid_configuration(settings.oidc_issuer)["jwks_uri"])


def verify_id_token(settings: Settings, token: str, nonce: str) -> User:
    """The user of an ID token the identity provider gave this API at sign-in: signed by the
    issuer (its JWKS, as for access tokens), for this client, with the sign-in's nonce."""
    assert settings.oidc_issuer is not None and settings.oidc_client_id is not None
    try:
        jwks = _jwks(_jwks_url(settings), settings.oidc_refetch_cooldown_seconds)
        key = jwks.get_signing_key_from_jwt(token).key
    except (jwt.PyJWKClientError, jwt.InvalidTokenError, OSError, ValueError) as err:
        raise AuthError(f"the ID token's signing key could not be found ({err})") from err
    claims = _decode(
        token, key, settings.oidc_algorithms, settings.oidc_issuer, settings.oidc_client_id
    )
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise AuthError("the ID token is not valid (nonce: not this sign-in's)")
    _check_lifetime(settings, claims)
    return user_of_claims(settings, claims)


_SESSION = "session"


def issue_session(settings: Settings, user: User, *, expires: datetime | None = None) -> str:
    """A browser session for `user` (the dashboard's cookie): signed by this API, for at most
    the longest a token may live, and never accepted as a bearer token."""
    now = datetime.now(UTC)
    longest = now + timedelta(hours=settings.max_token_hours)
    claims: dict[str, Any] = {
        "sub": user.user_id,
        "name": user.name,
        "roles": [role.value for role in user.roles],
        "iss": settings.auth_issuer,
        "aud": f"{settings.auth_audience}:{_SESSION}",
        "iat": now,
        "exp": min(expires, longest) if expires is not None else longest,
    }
    if user.agency is not None:
        claims["agency"] = user.agency.value
    return jwt.encode(claims, signing_key(settings), algorithm=_ALGORITHM)


def verify_session(settings: Settings, token: str) -> User:
    """The user of a session `issue_session` made; AuthError for anything else."""
    claims = _decode(
        token,
        signing_key(settings),
        [_ALGORITHM],
        settings.auth_issuer,
        f"{settings.auth_audience}:{_SESSION}",
    )
    _check_lifetime(settings, claims)
    return _user(claims, "sub", "name", "roles", "agency")


@lru_cache(maxsize=8)
def _jwks(url: str, cooldown: float) -> jwt.PyJWKClient:
    """One key set client per address: the set is cached, and an unknown key id (the issuer
    rotated its keys) makes the client fetch it again, at most once per `cooldown` seconds."""
    return jwt.PyJWKClient(
        url, cache_jwk_set=True, lifespan=300, timeout=5, cooldown_duration=cooldown
    )
