"""The project's migration runner: numbered SQL files in `store/migrations/`, applied in order.

Each file runs in its own transaction and is recorded in `schema_migration` with a checksum. The
whole run holds a PostgreSQL advisory lock, so two processes starting together apply each file once.
Re-running is a no-op; a recorded file whose text has changed since is an error, not a silent skip.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from core.logs import get_logger

log = get_logger(__name__)

# Any constant works; it only has to be the same in every process of the project.
ADVISORY_LOCK_KEY = 0x46524F4E54444F  # "FRONTDO"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The migrations on disk and those recorded in the database disagree."""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    """Every migration shipped with the package, in version order."""
    found: dict[int, Migration] = {}
    for entry in resources.files("store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations are numbered {version:04d}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def apply_migrations(conn: asyncpg.Connection) -> list[int]:
    """Apply every migration not yet recorded; return the versions applied by this call."""
    migrations = load_migrations()
    await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migration (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        rows = await conn.fetch("SELECT version, checksum FROM schema_migration")
        recorded = {row["version"]: row["checksum"] for row in rows}
        on_disk = {m.version for m in migrations}
        unknown = sorted(set(recorded) - on_disk)
        if unknown:
            raise MigrationError(
                f"the database has migrations this code does not know: {unknown}; "
                "run a newer version of Front Door"
            )
        applied: list[int] = []
        for migration in migrations:
            if migration.version in recorded:
                if recorded[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was changed after it "
                        "was applied; add a new numbered migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            log.info("migration_applied", version=migration.version, name=migration.name)
            applied.append(migration.version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)


async def migrate(dsn: str) -> list[int]:
    """Connect to `dsn` and apply the migrations."""
    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(conn)
    finally:
        await conn.close()
