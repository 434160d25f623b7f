"""The asyncpg pool. Created by whoever runs the process (worker, API, CLI) and closed by it;
nothing here holds a pool at module level."""

from __future__ import annotations

import contextlib
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# Query functions take either a plain connection or one acquired from the pool.
Conn: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections fail fast rather than hang when PostgreSQL is away."""
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, timeout=10, command_timeout=30
    )
    assert pool is not None
    return pool


async def ensure_database(server_dsn: str, name: str) -> None:
    """Create database `name` on the server `server_dsn` points at, unless it exists."""
    conn = await asyncpg.connect(server_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Identifiers cannot be parameters; the name is quoted by PostgreSQL's own rules.
            quoted = await conn.fetchval("SELECT quote_ident($1)", name)
            # A process starting at the same moment may have created it first.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()
