"""The API over HTTP (httpx against the app, its lifespan run) with a real worker, the Temporal
dev server and real PostgreSQL; and tokens for each kind of staff."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import StaffRole, User, issue_token
from core.settings import Settings
from domain.tasks import Agency
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.ports import free_port
from workers.worker import build_worker

ClientFactory = Callable[[Settings], AbstractAsyncContextManager[httpx.AsyncClient]]
TEST_SECRET = SecretStr("test-signing-key-that-is-long-enough-for-hs256")


async def _no_internal_errors(response: httpx.Response) -> None:
    """No request in the tests may get a 500: fail the test at the request that did."""
    if response.status_code == 500:
        await response.aread()
        raise AssertionError(
            f"{response.request.method} {response.request.url} -> 500: {response.text}"
        )


@asynccontextmanager
async def _api_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://frontdoor",
            event_hooks={"response": [_no_internal_errors]},
        ) as client:
            yield client


@pytest.fixture
def api_client_for() -> ClientFactory:
    """Open an API client for any settings (to point the app at servers that are down)."""
    return _api_client


def api_settings(env: WorkflowEnvironment, database_url: str, task_queue: str) -> Settings:
    return Settings(
        temporal_address=env.client.service_client.config.target_host,
        database_url=database_url,
        task_queue=task_queue,
        auth_secret=TEST_SECRET,
        payload_keys=TEST_PAYLOAD_KEYS,
        dev_mode=True,
    )


@pytest.fixture
async def api_client(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the dev server and the test's own database (no worker)."""
    async with _api_client(api_settings(dev_env, database_url, task_queue)) as client:
        yield client


@dataclass
class Staff:
    """Authorization headers for the people in the tests."""

    settings: Settings

    def headers(self, user: str, *roles: StaffRole, agency: Agency | None = None) -> dict[str, str]:
        person = User(user_id=user, name=user.title(), roles=list(roles), agency=agency)
        return {"Authorization": f"Bearer {issue_token(self.settings, person)}"}

    @property
    def practitioner(self) -> dict[str, str]:
        return self.headers("pat.practitioner", StaffRole.practitioner)

    @property
    def manager(self) -> dict[str, str]:
        return self.headers("mo.manager", StaffRole.manager)

    @property
    def engineer(self) -> dict[str, str]:
        return self.headers("eng.one", StaffRole.engineer)

    def agency(self, agency: Agency, user: str | None = None) -> dict[str, str]:
        return self.headers(user or f"duty.{agency.value}", StaffRole.agency, agency=agency)


@dataclass
class LiveApi:
    """The API with a worker behind it: requests go all the way to the workflow and back."""

    client: httpx.AsyncClient
    staff: Staff
    pool: asyncpg.Pool


@pytest.fixture
async def live_api(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> AsyncIterator[LiveApi]:
    settings = api_settings(dev_env, database_url, task_queue)
    async with build_worker(dev_env.client, pool, task_queue), _api_client(settings) as client:
        yield LiveApi(client=client, staff=Staff(settings), pool=pool)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives another process the settings these tests chose."""
    env: dict[str, str] = {}
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"FRONTDOOR_{name.upper()}"] = str(getattr(value, "value", value))
    return env


@pytest.fixture
async def served_api(live_api: LiveApi, tmp_path: Path) -> AsyncIterator[str]:
    """`frontdoor api` as its own process on a free port, with the settings of the in-process
    API (same database, Temporal, signing key); yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        **settings_env(live_api.staff.settings),
        "FRONTDOOR_API_HOST": "127.0.0.1",
        "FRONTDOOR_API_PORT": str(port),
        "FRONTDOOR_STATE_DIR": str(tmp_path / "state"),
    }
    log = (tmp_path / "api.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "frontdoor"), "api", env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(150):
                try:
                    if (await client.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.returncode is None, (tmp_path / "api.log").read_text()
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("frontdoor api did not answer within 15 s")
        yield base
    finally:
        process.terminate()
        await process.wait()
        log.close()
