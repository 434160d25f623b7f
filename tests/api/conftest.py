"""An HTTP client on the API app, with its lifespan run, against real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from frontdoor.api.app import create_app
from frontdoor.settings import Settings

ClientFactory = Callable[[Settings], AbstractAsyncContextManager[httpx.AsyncClient]]


@asynccontextmanager
async def _api_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://frontdoor") as client:
            yield client


@pytest.fixture
def api_client_for() -> ClientFactory:
    """Open an API client for any settings (to point the app at servers that are down)."""
    return _api_client


@pytest.fixture
async def api_client(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the dev server and the test's own database."""
    settings = Settings(
        temporal_address=dev_env.client.service_client.config.target_host,
        database_url=database_url,
        task_queue=task_queue,
    )
    async with _api_client(settings) as client:
        yield client
