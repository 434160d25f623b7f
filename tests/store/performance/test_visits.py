"""Children seen within the visit timescale and visits where the child was not seen, on a
hand-built read model with the answers worked out here."""

from __future__ import annotations

import asyncpg

from tests.store.performance.rows import WEEK_1, WEEK_2, Rows, mar, measure, week


async def test_children_seen_within_timescale_and_visits_not_seen(pool: asyncpg.Pool) -> None:
    not_seen = {"child_seen": False, "not_seen_reason": "no_access", "visited_at": "x"}
    async with pool.acquire() as conn:
        rows = Rows(conn)
        seen_on_time = await rows.referral(
            mar(2, 10), visit_due_at=mar(5, 12), child_seen_at=mar(5, 11)
        )
        await rows.task(
            seen_on_time, "visit", mar(5, 12), status="completed", summary={"child_seen": True}
        )
        # Seen a day late, after one visit where the child was not seen.
        seen_late = await rows.referral(
            mar(2, 11), visit_due_at=mar(5, 12), child_seen_at=mar(6, 10)
        )
        await rows.task(seen_late, "visit", mar(5, 12), status="completed", summary=not_seen)
        await rows.referral(mar(3, 10))  # no visit called for
        # Week 2: past due and not seen after two attempts; not yet due; called off before due.
        unseen = await rows.referral(mar(9, 10), visit_due_at=mar(12, 12), stage="visit")
        await rows.task(unseen, "visit", mar(12, 12), status="completed", summary=not_seen)
        await rows.task(unseen, "visit", mar(13, 12), status="completed", summary=not_seen)
        await rows.referral(mar(10, 10), visit_due_at=mar(16, 12), stage="visit")
        await rows.referral(mar(10, 11), visit_due_at=mar(11, 12), closed_at=mar(10, 15))

    result = await measure(pool, "visits")

    assert result.period.model_dump() == {
        "visits_due": 5,
        "child_seen": {"on_time": 1, "late": 2, "pending": 1, "percent": 33.3},
        "visits_not_seen": 3,
        "referrals_with_child_not_seen": 2,
    }
    first, second = week(result, WEEK_1), week(result, WEEK_2)
    assert (first.visits_due, first.child_seen.on_time, first.child_seen.late) == (2, 1, 1)
    assert (first.visits_not_seen, second.visits_not_seen) == (1, 2)
    assert (second.child_seen.late, second.child_seen.pending) == (1, 1)
