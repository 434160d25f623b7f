"""Who is calling: staff tokens are HS256 JWTs carrying the user id, display name, roles and, for
partners, the agency. Verification lives here and nowhere else, so an external identity provider
can replace it later. Tokens carry staff identities only, never a child's data.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from pydantic import BaseModel, Field, ValidationError, model_validator

from frontdoor.domain.tasks import Agency, Team, agency_team
from frontdoor.settings import Settings

_ALGORITHM = "HS256"


class StaffRole(StrEnum):
    practitioner = "practitioner"
    manager = "manager"
    agency = "agency"
    engineer = "engineer"


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
    path = Path(settings.state_dir) / "auth-signing-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


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
    """The user a token names, or AuthError: bad signature, expired, wrong issuer or audience."""
    try:
        claims = jwt.decode(
            token,
            signing_key(settings),
            algorithms=[_ALGORITHM],
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as err:
        raise AuthError("the token has expired; sign in again") from err
    except jwt.InvalidTokenError as err:
        raise AuthError(f"the token is not valid ({err})") from err
    try:
        return User(
            user_id=claims["sub"],
            name=claims.get("name") or claims["sub"],
            roles=claims.get("roles", []),
            agency=claims.get("agency"),
        )
    except ValidationError as err:
        raise AuthError("the token does not name a known role and agency") from err
