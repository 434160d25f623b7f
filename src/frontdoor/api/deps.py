"""Dependencies that hand routes what the app's lifespan created: the pool, the Temporal client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from temporalio.client import Client

from frontdoor.settings import Settings


@dataclass
class AppResources:
    """What the lifespan opens and closes; routes reach it only through the dependencies below."""

    settings: Settings
    pool: asyncpg.Pool
    temporal: Client


def get_resources(request: Request) -> AppResources:
    resources: AppResources = request.app.state.resources
    return resources


def get_pool(request: Request) -> asyncpg.Pool:
    return get_resources(request).pool


def get_temporal(request: Request) -> Client:
    return get_resources(request).temporal


def get_app_settings(request: Request) -> Settings:
    return get_resources(request).settings


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
