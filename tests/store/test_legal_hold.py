"""Legal holds against a real PostgreSQL: placed on a referral or on a child's keyed identifier,
found for the referrals they cover, lifted (never deleted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from store import legal_hold
from store.legal_hold import HoldScope, HoldTarget
from tests.store.record_factory import make_case, sealer_for_tests

AT = datetime(2026, 6, 1, 9, tzinfo=UTC)
NHS_KEY = "n" * 64
MATCH_KEY = "m" * 64


async def test_a_hold_on_a_referral_covers_that_referral_only(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        held = await make_case(conn, sealer, nhs=NHS_KEY)
        other = await make_case(conn, sealer, nhs=NHS_KEY)
        hold = await legal_hold.place_hold(
            conn,
            placed_from=held.referral_id,
            referral_id=held.referral_id,
            reason="IICSA moratorium",
            placed_by="records.officer",
            at=AT,
        )
        found = await legal_hold.active_holds_on(
            conn,
            [
                HoldTarget(held.referral_id, NHS_KEY, None),
                HoldTarget(other.referral_id, NHS_KEY, None),
            ],
        )

    assert hold.scope is HoldScope.referral and hold.active
    assert (hold.reason, hold.placed_by, hold.placed_at) == (
        "IICSA moratorium",
        "records.officer",
        AT,
    )
    assert found == {held.referral_id: [hold.hold_id]}


async def test_a_hold_on_a_child_covers_every_referral_with_that_key(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        first = await make_case(conn, sealer, nhs=NHS_KEY)
        by_name = await make_case(conn, sealer, match_key=MATCH_KEY)
        stranger = await make_case(conn, sealer, nhs="s" * 64)
        by_nhs = await legal_hold.place_hold(
            conn, placed_from=first.referral_id, child_key=NHS_KEY, reason="r", placed_by="a", at=AT
        )
        by_match = await legal_hold.place_hold(
            conn,
            placed_from=first.referral_id,
            child_key=MATCH_KEY,
            reason="r",
            placed_by="a",
            at=AT,
        )
        found = await legal_hold.active_holds_on(
            conn,
            [
                HoldTarget(first.referral_id, NHS_KEY, MATCH_KEY),
                HoldTarget(by_name.referral_id, None, MATCH_KEY),
                HoldTarget(stranger.referral_id, "s" * 64, None),
            ],
        )

    assert by_nhs.scope is HoldScope.child
    assert found == {
        first.referral_id: [by_nhs.hold_id, by_match.hold_id],
        by_name.referral_id: [by_match.hold_id],
    }


async def test_a_lifted_hold_stays_on_record_and_covers_nothing(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer)
        hold = await legal_hold.place_hold(
            conn,
            placed_from=case.referral_id,
            referral_id=case.referral_id,
            reason="r",
            placed_by="a",
            at=AT,
        )
        lifted = await legal_hold.lift_hold(
            conn, hold.hold_id, lifted_by="b", at=AT + timedelta(days=1)
        )
        again = await legal_hold.lift_hold(conn, hold.hold_id, lifted_by="c", at=AT)
        found = await legal_hold.active_holds_on(conn, [HoldTarget(case.referral_id, None, None)])
        active = await legal_hold.list_holds(conn)
        every = await legal_hold.list_holds(conn, include_lifted=True)

    assert lifted is not None and not lifted.active
    assert (lifted.lifted_by, lifted.lifted_at) == ("b", AT + timedelta(days=1))
    assert again is None  # lifted once; the first lifting stays as it was
    assert found == {}
    assert active == [] and [h.hold_id for h in every] == [hold.hold_id]
    assert every[0].lifted_by == "b"


async def test_a_hold_names_a_referral_or_a_child_not_both(pool: asyncpg.Pool) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer)
        with pytest.raises(ValueError, match="one referral or"):
            await legal_hold.place_hold(
                conn,
                placed_from=case.referral_id,
                referral_id=case.referral_id,
                child_key=NHS_KEY,
                reason="r",
                placed_by="a",
                at=AT,
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO legal_hold (placed_from, reason, placed_by) VALUES ($1, 'r', 'a')",
                case.referral_id,
            )
