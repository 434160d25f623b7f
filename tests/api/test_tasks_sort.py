"""GET /tasks?sort=urgent over HTTP: the overdue first, then the most escalated, each by due
time, across pages (the workbench's inbox asks for it); the default stays earliest due first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import LiveApi
from tests.store.performance.rows import Rows


async def test_urgent_puts_the_overdue_then_the_escalated_first(live_api: LiveApi) -> None:
    now = datetime.now(UTC)
    async with live_api.pool.acquire() as conn:
        rows = Rows(conn)
        case = await rows.referral(now - timedelta(days=2), stage="checks")
        soon = await rows.task(case, "screening", now + timedelta(hours=1))
        escalated = await rows.task(case, "visit", now + timedelta(hours=5), escalation_level=1)
        late = await rows.task(case, "acknowledgement", now - timedelta(hours=1))
        later_late = await rows.task(
            case, "decision", now - timedelta(minutes=30), escalation_level=2
        )
    api, staff = live_api.client, live_api.staff

    async def order(**params: str | int) -> list[str]:
        listed = await api.get("/tasks", params=params, headers=staff.practitioner)
        assert listed.status_code == 200, listed.text
        return [row["task_id"] for row in listed.json()["items"]]

    ids = [str(t) for t in (late, later_late, soon, escalated)]
    assert await order() == ids  # by due time
    urgent = [str(t) for t in (later_late, late, escalated, soon)]
    assert await order(sort="urgent") == urgent
    # Across pages: each page continues the same order.
    assert await order(sort="urgent", limit=2) == urgent[:2]
    assert await order(sort="urgent", limit=2, offset=2) == urgent[2:]
    bad = await api.get("/tasks", params={"sort": "random"}, headers=staff.practitioner)
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"sort"}
