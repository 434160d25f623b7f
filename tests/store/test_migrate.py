"""The migration runner against a real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from store.migrate import MigrationError, apply_migrations, load_migrations, migrate

EXPECTED_TABLES = {"schema_migration", "referral", "task", "audit_event", "notification"}


async def _tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return {row["table_name"] for row in rows}
    finally:
        await conn.close()


async def test_fixture_database_is_migrated(database_url: str) -> None:
    assert await _tables(database_url) >= EXPECTED_TABLES


async def test_migrations_apply_in_order_and_rerun_is_a_no_op(empty_database_url: str) -> None:
    versions = [m.version for m in load_migrations()]
    assert versions == sorted(versions) and versions[0] == 1

    assert await migrate(empty_database_url) == versions
    assert await migrate(empty_database_url) == []
    assert await _tables(empty_database_url) >= EXPECTED_TABLES


async def test_two_processes_migrating_together_apply_each_file_once(
    empty_database_url: str,
) -> None:
    results = await asyncio.gather(*(migrate(empty_database_url) for _ in range(4)))

    applied = sorted(v for result in results for v in result)
    assert applied == [m.version for m in load_migrations()]
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migration") == len(applied)
    finally:
        await conn.close()


async def test_a_migration_changed_after_it_was_applied_is_refused(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE schema_migration SET checksum = 'edited' WHERE version = 1")
        with pytest.raises(MigrationError, match="0001_initial was changed"):
            await apply_migrations(conn)
    finally:
        await conn.close()


async def test_a_database_newer_than_the_code_is_refused(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO schema_migration (version, name, checksum) VALUES (9999, 'future', 'x')"
        )
        with pytest.raises(MigrationError, match=r"does not know: \[9999\]"):
            await apply_migrations(conn)
    finally:
        await conn.close()


async def test_audit_trail_is_append_only(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO audit_event (workflow_id, step_key, kind, occurred_at)"
            " VALUES ('referral-x', 'k', 'test', $1)",
            datetime(2026, 5, 22, 15, tzinfo=UTC),
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE audit_event SET kind = 'changed'")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM audit_event")
        assert await conn.fetchval("SELECT kind FROM audit_event") == "test"
    finally:
        await conn.close()
