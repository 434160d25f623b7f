"""Open work past its deadline now, by stage, team, escalation level and week, on a hand-built
read model with the answers worked out here."""

from __future__ import annotations

from datetime import date

import asyncpg

from tests.store.performance.rows import WEEK_1, WEEK_2, Rows, at, mar, measure


async def test_work_past_its_deadline_now(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)
        old = await rows.referral(at(date(2026, 2, 20), 9), stage="screening")
        await rows.task(old, "screening", at(date(2026, 2, 20), 17), escalation_level=3)
        deciding = await rows.referral(mar(8, 9), stage="decision")
        await rows.task(
            deciding, "decision", mar(10, 9), team="front_door_managers", escalation_level=2
        )
        checking = await rows.referral(mar(12, 9), stage="checks")
        await rows.check(checking, "police", mar(12, 10), mar(12, 12), status="open")
        await conn.execute("UPDATE task SET escalation_level = 1 WHERE kind = 'agency_check'")
        visiting = await rows.referral(mar(2, 9), stage="visit")
        await rows.task(visiting, "visit", mar(13, 16))
        await rows.task(visiting, "visit", mar(14, 16))  # not due yet
        await rows.task(visiting, "screening", mar(1, 9), status="completed")  # done

    result = await measure(pool, "overdue")

    assert result.total == 4
    assert result.by_stage == {"screening": 1, "decision": 1, "checks": 1, "visit": 1}
    assert result.by_team == {
        "front_door_practitioners": 2,
        "front_door_managers": 1,
        "agency:police": 1,
    }
    assert result.by_escalation_level == {"0": 1, "1": 1, "2": 1, "3": 1}
    assert [item.kind for item in result.items] == [
        "screening",
        "decision",
        "agency_check",
        "visit",
    ]
    assert result.oldest is not None
    assert (result.oldest.referral_id, result.oldest.overdue_hours) == (str(old), 504.0)
    # By the week their referral came in; the February one is before the period.
    assert [(w.week_start, w.overdue) for w in result.weeks] == [(WEEK_1, 2), (WEEK_2, 1)]
    mine = await measure(pool, "overdue", team="front_door_practitioners")
    assert (mine.total, mine.by_team) == (2, {"front_door_practitioners": 2})
