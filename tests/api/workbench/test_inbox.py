"""The inbox, /work, over HTTP against the live API: a practitioner's new screening task with its
due time and an Open link, the filters (kind, overdue, mine), claim and release, a manager
assigning (the API's refusal beside the field), a partner seeing only their agency's checks,
where staff without tasks are sent, and the session and CSRF guards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx

from api.workbench.managers_text import when
from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.driver import DEFAULT_RESULTS, complete, task
from tests.api.test_tasks import take_in
from tests.api.workbench.pages import Person, signed_in, text_of
from tests.store.performance.rows import Rows


def row(html: str, task_id: str) -> str:
    """The inbox's row of the task (its HTML), or "" if it is not listed."""
    found = re.search(rf'<tr class="govuk-table__row" id="task-{task_id}">(.*?)</tr>', html, re.S)
    return found.group(1) if found else ""


async def inbox(person: Person, query: str = "") -> str:
    html = await person.open(f"/work{query}")
    assert html.count("<h1") == 1 and "My work and my team's work" in text_of(html)
    return html


async def test_a_practitioner_finds_claims_and_releases_a_new_screening(
    live_api: LiveApi,
) -> None:
    referral_id = await take_in(live_api)
    screening = await task(live_api, live_api.staff.practitioner, referral_id, "screening")
    detail = await live_api.client.get(f"/tasks/{screening}", headers=live_api.staff.manager)
    due = detail.json()["task"]["due_at"]
    async with live_api.pool.acquire() as conn:  # someone else's overdue work, 3 hours late
        rows = Rows(conn)
        other = await rows.referral(datetime.now(UTC) - timedelta(days=1), stage="visit")
        late = str(
            await rows.task(other, "visit", datetime.now(UTC) - timedelta(hours=3, seconds=5))
        )

    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        html = await inbox(pat)
        mine = text_of(row(html, screening))
        assert mine.startswith("Screening") and f"Case {referral_id[:8]}" in mine
        assert when(due) in mine and "left" in mine and "Nobody" in mine
        assert f'href="/work/tasks/{screening}"' in row(html, screening)
        assert f'href="/work/cases/{referral_id}"' in row(html, screening)
        # The overdue come first, and say so in words.
        assert html.index(f'id="task-{late}"') < html.index(f'id="task-{screening}"')
        assert "Overdue by 3 hours" in text_of(row(html, late))

        # Filters narrow the list.
        assert row(await inbox(pat, "?kind=screening"), screening)
        only_visits = await inbox(pat, "?kind=visit")
        assert not row(only_visits, screening) and row(only_visits, late)
        overdue = await inbox(pat, "?overdue=yes")
        assert row(overdue, late) and not row(overdue, screening)
        nothing_mine = await inbox(pat, "?mine=yes")
        assert 'id="no-tasks"' in nothing_mine and "No open task matches" in text_of(nothing_mine)

        # Claim: back to the inbox (its filters kept) with a notice, held by them.
        claimed = await pat.submit(
            f"/work/tasks/{screening}/claim", {"back": "kind=screening"}, page=html
        )
        assert claimed.headers["location"].startswith("/work?kind=screening&notice=")
        after = await pat.open(claimed.headers["location"])
        assert "You hold the screening task on case" in text_of(after)
        assert "pat.practitioner (you)" in text_of(row(after, screening))
        held = await inbox(pat, "?mine=yes")
        assert row(held, screening) and not row(held, late)

        # Someone else sees who holds it, and cannot claim it.
        async with signed_in(live_api, "ann.practitioner", "practitioner") as ann:
            theirs = row(await inbox(ann), screening)
            assert "pat.practitioner" in text_of(theirs) and "Claim" not in text_of(theirs)
            refused = await ann.submit(
                f"/work/tasks/{screening}/claim", {}, page=await inbox(ann), status=409
            )
            assert "held by pat.practitioner" in text_of(refused.text)

        released = await pat.submit(f"/work/tasks/{screening}/release", {}, page=after)
        back = await pat.open(released.headers["location"])
        assert "it is back with the team" in text_of(back)
        assert "Nobody" in text_of(row(back, screening))
        assert 'id="no-tasks"' in await inbox(pat, "?mine=yes")

        # A form without the session's CSRF token is refused.
        forged = await pat.client.post(f"/work/tasks/{screening}/claim", data={"csrf": "x"})
        assert forged.status_code == 403


async def test_a_manager_assigns_a_task_to_a_practitioner_who_has_signed_in(
    live_api: LiveApi,
) -> None:
    referral_id = await take_in(live_api)
    screening = await task(live_api, live_api.staff.practitioner, referral_id, "screening")
    async with (
        signed_in(live_api, "ann.practitioner", "practitioner") as ann,
        signed_in(live_api, "mo.manager", "manager") as mo,
    ):
        assert 'id="no-tasks"' in await inbox(ann, "?mine=yes")
        html = await inbox(mo)
        assert f'id="f-assign-{screening}"' in row(html, screening)
        unknown = await mo.submit(
            f"/work/tasks/{screening}/assign",
            {"user_id": "nobody.known"},
            page=html,
            status=422,
        )
        beside = row(unknown.text, screening)
        assert f'id="f-assign-{screening}-error"' in beside
        assert "not a member of staff who has signed in" in text_of(beside)
        assert 'value="nobody.known"' in beside  # what they typed is kept
        assert f'href="#f-assign-{screening}"' in unknown.text  # the error summary links to it

        given = await mo.submit(
            f"/work/tasks/{screening}/assign", {"user_id": "ann.practitioner"}, page=html
        )
        after = await mo.open(given.headers["location"])
        assert "is held by ann.practitioner now" in text_of(after)
        assert "ann.practitioner" in text_of(row(after, screening))
        assert row(await inbox(ann, "?mine=yes"), screening)


async def test_a_partner_sees_only_their_agencys_checks(live_api: LiveApi) -> None:
    staff = live_api.staff
    referral_id = await take_in(live_api)
    screening = await task(live_api, staff.practitioner, referral_id, "screening")
    screened = {**DEFAULT_RESULTS["screening"](), "agencies": ["police", "health"]}
    answer = await complete(live_api, staff.practitioner, screening, screened)
    opened = {(t["kind"], t.get("agency")): str(t["task_id"]) for t in answer["opened_tasks"]}
    police, health = opened[("agency_check", "police")], opened[("agency_check", "health")]

    async with signed_in(live_api, "duty.police", "agency", agency="police") as partner:
        html = await inbox(partner)
        assert text_of(row(html, police)).startswith("Agency check (police)")
        assert f'href="/work/tasks/{police}"' in row(html, police)
        assert not row(html, health) and "Screening" not in text_of(_table(html))
        assert "/work/cases/" not in html  # partners reach the check, not the case
        assert 'id="f-agency"' not in html  # only their agency: nothing to choose
        kinds = re.findall(r'<tr class="govuk-table__row" id="task-([0-9a-f-]+)">', html)
        listed = await live_api.client.get("/tasks", headers=staff.agency(Agency.police))
        assert set(kinds) == {r["task_id"] for r in listed.json()["items"]}
        assert all(UUID(k) for k in kinds)
        refused = await partner.open(f"/work/cases/{referral_id}", status=403)
        assert "You do not have access to this." in text_of(refused)


def _table(html: str) -> str:
    found = re.search(r'<table class="govuk-table" id="tasks">.*?</table>', html, re.S)
    return found.group(0) if found else ""


async def test_the_inbox_pages_through_many_tasks(live_api: LiveApi) -> None:
    now = datetime.now(UTC)
    async with live_api.pool.acquire() as conn:
        rows = Rows(conn)
        case = await rows.referral(now - timedelta(days=1), stage="visit")
        ids = [str(await rows.task(case, "visit", now + timedelta(hours=1 + n))) for n in range(27)]
    async with signed_in(live_api, "pat.practitioner", "practitioner") as pat:
        first = await inbox(pat, "?kind=visit")
        assert all(row(first, t) for t in ids[:25]) and not row(first, ids[25])
        assert 'id="previous-page"' not in first
        assert 'href="/work?kind=visit&amp;page=2"' in first
        second = await inbox(pat, "?kind=visit&page=2")
        assert row(second, ids[25]) and row(second, ids[26]) and not row(second, ids[0])
        assert 'id="next-page"' not in second and 'href="/work?kind=visit"' in second
        assert "page 2" in text_of(second)


async def test_staff_who_work_no_tasks_are_sent_where_their_work_is(live_api: LiveApi) -> None:
    async with signed_in(live_api, "aud.one", "auditor") as auditor:
        sent = await auditor.client.get("/work")
        assert sent.status_code == 303 and sent.headers["location"] == "/work/audits"
    async with signed_in(live_api, "ova.sight", "oversight") as oversight:
        sent = await oversight.client.get("/work")
        assert sent.status_code == 303 and sent.headers["location"] == "/dashboard"
    async with signed_in(live_api, "rita.records", "records_officer") as records:
        html = await records.open("/work")
        assert "Subject access requests" in text_of(html) and html.count("<h1") == 1


async def test_a_page_without_a_session_goes_to_sign_in(live_api: LiveApi) -> None:
    transport = live_api.client._transport
    async with httpx.AsyncClient(transport=transport, base_url="http://frontdoor") as browser:
        for path in ("/work", "/work?kind=visit", f"/work/cases/{UUID(int=1)}"):
            sent = await browser.get(path)
            assert sent.status_code == 303
            assert sent.headers["location"] == f"/sign-in?next={path.split('?')[0]}"
        posted = await browser.post(f"/work/tasks/{UUID(int=1)}/claim", data={})
        assert posted.status_code == 303 and posted.headers["location"].startswith("/sign-in")
