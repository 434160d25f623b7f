"""Queries on `legal_hold`: holds that stop the disposal of a case record, on one referral or on
every referral of one child (by the child's keyed identifier, as the referral row holds it). A
hold is placed with a reason, by someone, at a time; it is lifted (by whom, when), never deleted.
Callers own the connection and the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from store.pool import Conn


class HoldScope(StrEnum):
    """What a hold covers: one referral, or every referral of one child."""

    referral = "referral"
    child = "child"


@dataclass(frozen=True)
class LegalHold:
    hold_id: int
    referral_id: UUID | None
    child_key: str | None
    placed_from: UUID
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None

    @property
    def scope(self) -> HoldScope:
        return HoldScope.referral if self.referral_id is not None else HoldScope.child

    @property
    def active(self) -> bool:
        return self.lifted_at is None


_COLUMNS = """hold_id, referral_id, child_key, placed_from, reason, placed_by, placed_at,
    lifted_by, lifted_at"""


def _hold(row: object) -> LegalHold:
    return LegalHold(**dict(row))  # type: ignore[call-overload]


async def place_hold(
    conn: Conn,
    *,
    placed_from: UUID,
    referral_id: UUID | None = None,
    child_key: str | None = None,
    reason: str,
    placed_by: str,
    at: datetime,
) -> LegalHold:
    """Hold one referral (`referral_id`) or every referral of a child (`child_key`)."""
    if (referral_id is None) == (child_key is None):
        raise ValueError("a hold is on one referral or on one child's keyed identifier")
    row = await conn.fetchrow(
        f"""
        INSERT INTO legal_hold (referral_id, child_key, placed_from, reason, placed_by, placed_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING {_COLUMNS}
        """,
        referral_id,
        child_key,
        placed_from,
        reason,
        placed_by,
        at,
    )
    return _hold(row)


async def get_hold(conn: Conn, hold_id: int) -> LegalHold | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM legal_hold WHERE hold_id = $1", hold_id)
    return None if row is None else _hold(row)


async def lift_hold(conn: Conn, hold_id: int, *, lifted_by: str, at: datetime) -> LegalHold | None:
    """Lift the hold if it is active; the lifted hold, or None if there is no active one."""
    row = await conn.fetchrow(
        f"""
        UPDATE legal_hold SET lifted_by = $2, lifted_at = $3
        WHERE hold_id = $1 AND lifted_at IS NULL
        RETURNING {_COLUMNS}
        """,
        hold_id,
        lifted_by,
        at,
    )
    return None if row is None else _hold(row)


async def list_holds(conn: Conn, *, include_lifted: bool = False) -> list[LegalHold]:
    """The active holds (or every hold), oldest first."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM legal_hold
        WHERE $1 OR lifted_at IS NULL
        ORDER BY placed_at, hold_id
        """,
        include_lifted,
    )
    return [_hold(row) for row in rows]


@dataclass(frozen=True)
class HoldTarget:
    """A referral as holds find it: its id and its child's keyed identifiers."""

    referral_id: UUID
    nhs: str | None
    match_key: str | None


async def active_holds_on(conn: Conn, targets: list[HoldTarget]) -> dict[UUID, list[int]]:
    """For each referral under at least one active hold, either kind, the ids of those holds."""
    if not targets:
        return {}
    rows = await conn.fetch(
        """
        SELECT t.referral_id, array_agg(h.hold_id ORDER BY h.hold_id) AS hold_ids
        FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t (referral_id, nhs, match_key)
        JOIN legal_hold h
          ON h.lifted_at IS NULL
         AND (h.referral_id = t.referral_id OR h.child_key = t.nhs OR h.child_key = t.match_key)
        GROUP BY t.referral_id
        """,
        [t.referral_id for t in targets],
        [t.nhs for t in targets],
        [t.match_key for t in targets],
    )
    return {row["referral_id"]: list(row["hold_ids"]) for row in rows}
