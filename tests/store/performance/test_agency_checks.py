"""Agency checks returned on time per agency and week, and the median time to return one, on a
hand-built read model with the answers worked out here."""

from __future__ import annotations

import asyncpg

from tests.store.performance.rows import WEEK_1, WEEK_2, Rows, mar, measure


async def test_agency_checks_on_time_per_agency_and_median_time_to_return(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        first = await rows.referral(mar(2, 10), team="north")
        second = await rows.referral(mar(9, 10))
        third = await rows.referral(mar(12, 10))
        # Police: on time after 5 hours; late after 8 hours; open and not yet due.
        await rows.check(
            first, "police", mar(2, 11), mar(2, 17), returned_at=mar(2, 16), on_time=True
        )
        await rows.check(
            second, "police", mar(9, 11), mar(9, 17), returned_at=mar(9, 19), on_time=False
        )
        await rows.check(third, "police", mar(12, 11), mar(13, 18), status="open")
        # Health: open past its due time (late); cancelled before it was due (not counted).
        await rows.check(first, "health", mar(2, 11), mar(3, 17), status="open")
        await rows.check(second, "health", mar(9, 11), mar(9, 17), status="cancelled")
        # Education: answered within the hour.
        await rows.check(
            first, "education", mar(2, 11), mar(2, 17), returned_at=mar(2, 12), on_time=True
        )
        copied = await conn.fetchval(
            "SELECT count(*) FROM agency_check WHERE referral_received_at IS NOT NULL"
        )
    assert copied == 6  # the trigger copied each referral's received_at

    checks = await measure(pool, "agency_checks")
    by_agency = {a.agency: (a.requested, a.returned_on_time.model_dump()) for a in checks.agencies}
    assert by_agency == {
        "education": (1, {"on_time": 1, "late": 0, "pending": 0, "percent": 100.0}),
        "health": (2, {"on_time": 0, "late": 1, "pending": 0, "percent": 0.0}),
        "police": (3, {"on_time": 1, "late": 1, "pending": 1, "percent": 50.0}),
    }
    police = {
        w.week_start: w.returned_on_time.model_dump() for w in checks.weeks if w.agency == "police"
    }
    assert police[WEEK_1] == {"on_time": 1, "late": 0, "pending": 0, "percent": 100.0}
    assert police[WEEK_2] == {"on_time": 0, "late": 1, "pending": 1, "percent": 0.0}

    returns = await measure(pool, "agency_return_times")
    # Police returned after 300 and 480 minutes: median 390 minutes, 6.5 hours.
    assert [(a.agency, a.returned, a.median_hours_to_return) for a in returns.agencies] == [
        ("education", 1, 1.0),
        ("police", 2, 6.5),
    ]
    north = await measure(pool, "agency_checks", team="north")
    assert sorted((a.agency, a.requested) for a in north.agencies) == [
        ("education", 1),
        ("health", 1),
        ("police", 1),
    ]
