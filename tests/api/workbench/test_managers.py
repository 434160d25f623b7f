"""The managers' page, /work/manage, as a manager and a practitioner see it: the team's overdue
and escalated tasks of a seeded case with links to the task and the case, open cases by stage
and RAG, the headline figures with links to the dashboard and the board pack; and a clear 403
for anyone who is not a manager."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.api.conftest import LiveApi
from tests.api.workbench.pages import signed_in, text_of
from tests.store.performance.rows import Rows


async def test_a_manager_sees_the_teams_overdue_and_escalated_work(live_api: LiveApi) -> None:
    now = datetime.now(UTC)
    async with live_api.pool.acquire() as conn:
        rows = Rows(conn)
        case = await rows.referral(
            now - timedelta(days=3),
            stage="visit",
            rag="red",
            next_due_at=now - timedelta(days=2),
            escalation_level=2,
        )
        visit = await rows.task(case, "visit", now - timedelta(days=2), escalation_level=2)
        late = await rows.task(
            case, "strategy_discussion", now - timedelta(hours=3), team="front_door_managers"
        )

    async with signed_in(live_api, "mo.manager", "manager") as manager:
        html = await manager.open("/work/manage")
        seen = text_of(html)
        assert "<h1" in html and html.count("<h1") == 1 and "Your team's work" in seen

        escalated = _section(html, "escalated-tasks")
        assert f'href="/work/tasks/{visit}"' in escalated
        assert f'href="/work/cases/{case}"' in escalated
        assert "Level 2" in text_of(escalated) and "Visit" in text_of(escalated)
        assert f"/work/tasks/{late}" not in escalated  # overdue, not escalated

        overdue = _section(html, "overdue-tasks")
        assert f'href="/work/tasks/{visit}"' in overdue
        assert f'href="/work/tasks/{late}"' in overdue
        assert "Strategy discussion" in text_of(overdue)

        visit_row = text_of(_row(html, "stage-visit"))
        assert visit_row.startswith("Visit 1 ")  # one open case at the visit stage...
        assert 'href="/work/manage?stage=visit&amp;rag=red#cases"' in html  # ...rated red
        assert f'href="/work/cases/{case}"' in _section(html, "case-list")
        assert "Overdue" in text_of(_section(html, "case-list"))

        assert "Work overdue now" in seen and 'href="/dashboard"' in html
        assert re.search(r'href="/work/board-pack/\d{4}-\d{2}"', html)

        red_only = await manager.open("/work/manage?stage=visit&rag=red")
        assert f'href="/work/cases/{case}"' in _section(red_only, "case-list")
        green_only = await manager.open("/work/manage?stage=visit&rag=green")
        assert 'id="no-cases"' in green_only

        # The dashboard and the board pack the page links to take the same session.
        assert "<h1" in await manager.open("/dashboard")
        board_pack = re.search(r'href="(/work/board-pack/\d{4}-\d{2})"', html)
        assert board_pack is not None
        await manager.open(board_pack.group(1))


async def test_a_practitioner_is_refused_the_managers_page(live_api: LiveApi) -> None:
    async with signed_in(live_api, "pat.practitioner", "practitioner") as practitioner:
        html = await practitioner.open("/work/manage", status=403)
        seen = text_of(html)
        assert "The managers' page is for front door managers only." in seen
        assert "You do not have access to this." in seen
        assert 'href="/work/manage"' not in html  # not offered in the navigation either


def _section(html: str, element_id: str) -> str:
    """The table with `element_id`."""
    match = re.search(rf'<table[^>]*id="{element_id}".*?</table>', html, re.DOTALL)
    assert match is not None, f"no table {element_id} on the page"
    return match.group(0)


def _row(html: str, element_id: str) -> str:
    match = re.search(rf'<tr[^>]*id="{element_id}".*?</tr>', html, re.DOTALL)
    assert match is not None, f"no row {element_id} on the page"
    return match.group(0)
