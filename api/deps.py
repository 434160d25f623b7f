"""Dependencies that hand routes what the app's lifespan created: the pool, the Temporal client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.auth import AuthError, StaffRole, User, verify_token
from api.errors import ApiError
from core.settings import Settings


@dataclass
class AppResources:
    """What the lifespan opens and closes; routes reach it only through the dependencies below."""

    settings: Settings
    pool: asyncpg.Pool
    temporal: Client


# Dependencies are coroutines: FastAPI runs a plain function dependency in a worker thread, a
# hand-off that cost more than the work in these.
def get_resources(request: Request) -> AppResources:
    resources: AppResources = request.app.state.resources
    return resources


async def get_pool(request: Request) -> asyncpg.Pool:
    return get_resources(request).pool


async def get_temporal(request: Request) -> Client:
    return get_resources(request).temporal


async def get_app_settings(request: Request) -> Settings:
    return get_resources(request).settings


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


_bearer = HTTPBearer(auto_error=False, description="A staff token from `frontdoor token`")


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The caller, from `Authorization: Bearer <token>`; 401 without a valid token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "unauthenticated",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    settings = get_resources(request).settings
    try:
        if settings.oidc_issuer is None:  # development tokens only: a computation
            user = verify_token(settings, credentials.credentials)
        else:  # may fetch the issuer's key set
            user = await asyncio.to_thread(verify_token, settings, credentials.credentials)
    except AuthError as err:
        raise ApiError(
            401, "unauthenticated", str(err), headers={"WWW-Authenticate": "Bearer"}
        ) from err
    request.state.user = user  # for the access log
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: StaffRole) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets in only users holding one of `roles` (403 otherwise)."""
    allowed = ", ".join(role.value for role in roles)

    async def check(user: CurrentUser) -> User:
        if not user.has(*roles):
            raise ApiError(403, "forbidden", f"this needs one of the roles: {allowed}")
        return user

    return check
