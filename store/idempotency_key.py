"""Queries on `idempotency_key`: the body each caller's key first stood for, so a key reused
with another body is refused instead of silently answered with the first one's outcome. Callers
own the connection."""

from __future__ import annotations

from store.pool import Conn


async def claim(conn: Conn, *, scope: str, caller: str, key: str, fingerprint: str) -> str:
    """Claim `key` for `fingerprint`; returns the fingerprint the key stands for (this one, or
    the one an earlier request claimed it with). A first claim is one statement; a key claimed
    before is read back in a second (its own snapshot, so a claim committed meanwhile shows)."""
    inserted: str | None = await conn.fetchval(
        """
        INSERT INTO idempotency_key (scope, caller, key, fingerprint)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (scope, caller, key) DO NOTHING
        RETURNING fingerprint
        """,
        scope, caller, key, fingerprint,
    )  # fmt: skip
    if inserted is not None:
        return inserted
    claimed: str = await conn.fetchval(
        "SELECT fingerprint FROM idempotency_key WHERE scope = $1 AND caller = $2 AND key = $3",
        scope,
        caller,
        key,
    )
    return claimed


async def release(conn: Conn, *, scope: str, caller: str, key: str, fingerprint: str) -> None:
    """Free a key whose request changed nothing (refused before it was applied)."""
    await conn.execute(
        """
        DELETE FROM idempotency_key
        WHERE scope = $1 AND caller = $2 AND key = $3 AND fingerprint = $4
        """,
        scope, caller, key, fingerprint,
    )  # fmt: skip
