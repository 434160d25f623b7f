"""Queries on `case_entry`, the case record: one row per thing recorded about a case, keyed by
(workflow id, step key) so a retried write inserts nothing twice, append-only (a trigger refuses
any change but disposal and re-sealing). Bodies arrive sealed; callers open the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from core.sealing import Sealed
from domain.record import EntryKind
from store.pool import Conn


@dataclass(frozen=True)
class StoredEntry:
    """A row of `case_entry` as stored: its body still sealed."""

    entry_id: int
    referral_id: UUID
    workflow_id: str
    step_key: str
    kind: EntryKind
    task_id: UUID | None
    actor: str | None
    occurred_at: datetime
    recorded_at: datetime
    corrects: int | None
    sealed: Sealed


_COLUMNS = """entry_id, referral_id, workflow_id, step_key, kind, task_id, actor, occurred_at,
    recorded_at, corrects, key_id, body"""


def _entry(row: object) -> StoredEntry:
    r = dict(row)  # type: ignore[call-overload]
    return StoredEntry(
        entry_id=r["entry_id"],
        referral_id=r["referral_id"],
        workflow_id=r["workflow_id"],
        step_key=r["step_key"],
        kind=EntryKind(r["kind"]),
        task_id=r["task_id"],
        actor=r["actor"],
        occurred_at=r["occurred_at"],
        recorded_at=r["recorded_at"],
        corrects=r["corrects"],
        sealed=Sealed(r["key_id"], bytes(r["body"])),
    )


async def insert_entry(
    conn: Conn,
    *,
    referral_id: UUID,
    workflow_id: str,
    step_key: str,
    kind: EntryKind,
    task_id: UUID | None,
    actor: str | None,
    occurred_at: datetime,
    sealed: Sealed,
    corrects: int | None = None,
) -> bool:
    """Insert the entry unless one with the same key exists; whether this call wrote it."""
    inserted = await conn.fetchval(
        """
        INSERT INTO case_entry (referral_id, workflow_id, step_key, kind, task_id, actor,
                                occurred_at, corrects, key_id, body)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (workflow_id, step_key) DO NOTHING
        RETURNING entry_id
        """,
        referral_id,
        workflow_id,
        step_key,
        kind.value,
        task_id,
        actor,
        occurred_at,
        corrects,
        sealed.key_id,
        sealed.body,
    )
    return inserted is not None


async def entries_of(conn: Conn, referral_ids: list[UUID]) -> list[StoredEntry]:
    """Every entry of the referrals, in the order they happened."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM case_entry
        WHERE referral_id = ANY($1::uuid[])
        ORDER BY occurred_at, entry_id
        """,
        referral_ids,
    )
    return [_entry(row) for row in rows]


async def entry_of_step(conn: Conn, referral_id: UUID, step_key: str) -> StoredEntry | None:
    """The entry a case's step wrote (e.g. "intake"), or None."""
    row = await conn.fetchrow(
        f"""
        SELECT {_COLUMNS} FROM case_entry
        WHERE referral_id = $1 AND step_key = $2
        """,
        referral_id,
        step_key,
    )
    return None if row is None else _entry(row)


async def get_entry(conn: Conn, entry_id: int) -> StoredEntry | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM case_entry WHERE entry_id = $1", entry_id)
    return None if row is None else _entry(row)


async def sealed_under_other_keys(conn: Conn, current_key_id: str, limit: int) -> list[StoredEntry]:
    """Entries not sealed with the current key, oldest first (for re-sealing after rotation)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM case_entry WHERE key_id <> $1 ORDER BY entry_id LIMIT $2",
        current_key_id,
        limit,
    )
    return [_entry(row) for row in rows]


async def reseal(conn: Conn, entry_id: int, sealed: Sealed) -> None:
    """Store the entry's body under another key (the transaction says it is re-sealing)."""
    await conn.execute("SET LOCAL frontdoor.record_write = 'reseal'")
    await conn.execute(
        "UPDATE case_entry SET key_id = $2, body = $3 WHERE entry_id = $1",
        entry_id,
        sealed.key_id,
        sealed.body,
    )


async def dispose_of(conn: Conn, referral_id: UUID) -> int:
    """Delete every entry of the referral (the transaction says it is disposing); how many."""
    await conn.execute("SET LOCAL frontdoor.record_write = 'dispose'")
    deleted: str = await conn.execute("DELETE FROM case_entry WHERE referral_id = $1", referral_id)
    return int(deleted.split()[-1])
