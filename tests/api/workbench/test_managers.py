"""The managers' page, /work/manage, as a manager and a practitioner see it: the team's overdue
and escalated tasks of a seeded case with links to the task and the case, open cases by stage
and RAG, the headline figures with links to the dashboard and the board pack; a clear 403 for
anyone who is not a manager; and the managers' and audit pages in Chromium with axe-core."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.api.conftest import LiveApi
from tests.api.test_quality_audits import add_march
from tests.api.workbench.browser import Visits, chromium
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


@pytest.mark.timeout(300)
async def test_the_managers_and_audit_pages_in_a_browser_pass_axe(
    served_api: str, live_api: LiveApi, tmp_path: Path
) -> None:
    await add_march(live_api.pool)
    now = datetime.now(UTC)
    async with live_api.pool.acquire() as conn:
        rows = Rows(conn)
        case = await rows.referral(
            now - timedelta(days=3), stage="decision", rag="amber",
            next_due_at=now - timedelta(hours=5), escalation_level=1,
        )  # fmt: skip
        await rows.task(case, "decision", now - timedelta(hours=5), escalation_level=1)
    visits = Visits(tmp_path)
    async with chromium() as browser:
        context = await browser.new_context(base_url=served_api)
        page = await context.new_page()
        await page.goto("/work/manage")  # no session: to the sign-in form, then back here
        await page.get_by_label("User id").fill("mo.manager")
        await page.get_by_label("Your name").fill("Mo Manager")
        await page.get_by_label("manager", exact=True).check()
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your team's work")
        await visits.check(page, "manage")
        await page.get_by_role("link", name="Board pack for", exact=False).first.click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("board pack: ")

        await page.goto("/work/audits")
        await visits.check(page, "audits")
        await page.get_by_label("Month the cases closed").fill("2026-03")
        await page.get_by_label("Auditors (optional)").fill("mo.manager\nann.auditor")
        await page.get_by_role("button", name="Draw the sample").click()
        await expect(page.locator("#notice")).to_contain_text("Sample for 2026-03 drawn")
        await page.get_by_role("link", name="Audit of case").first.click()
        await visits.check(page, "audit")
        await page.get_by_role("button", name="Save and submit the audit").click()
        await expect(page.locator("#error-summary")).to_be_visible()
        await visits.check(page, "audit-errors")
    assert visits.blocking() == []
