"""Taking in a contact through the workbench (/work/contacts/new), over HTTP as a signed-in
browser, against the real API, worker, Temporal and PostgreSQL: a contact about two children
and their household makes two cases and goes to the first screening task; a form missing what
the API needs shows the error summary and each error beside its field, with what was typed
kept; "Check for existing records" shows a child already taken in with their open case; a
contact about a child with an open case asks, then adds it as new information; a double submit
makes one case; a partner cannot open the form."""

from __future__ import annotations

import html as markup
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from playwright.async_api import expect

from domain.calendar import LONDON
from tests.api.conftest import LiveApi
from tests.api.workbench.browser import Visits, chromium
from tests.api.workbench.pages import Person, hidden, signed_in, text_of

Form = dict[str, Any]

JAYDEN = {"name": "Jayden Smith", "date_of_birth": "2015-03-04", "address": "3 High Street"}
MIA = {"name": "Mia Smith", "date_of_birth": "2017-09-20", "address": "3 High Street"}
MOTHER = {"name": "Pat Smith", "relationship": "mother", "parental_responsibility": "yes"}
PARTNER = {"name": "Lee Jones", "relationship": "mother's partner", "age_estimate_years": "40",
           "parental_responsibility": "no"}  # fmt: skip


def contact_form(children: list[Form], household: list[Form] | None = None, **changes: Any) -> Form:
    """The intake form as a practitioner fills it in (the browser sends London time)."""
    received = datetime.now(UTC) - timedelta(minutes=5)
    form: Form = {
        "received_at": received.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M"),
        "source": "2A",
        "referrer.name": "A Teacher",
        "referrer.organisation": "Example Primary",
        "referrer.phone": "0100 000 0000",
        "concern": "The children arrive hungry;\r\nshouting heard at night.",
        "categories": ["neglect", "domestic_abuse"],
        "consent": "given",
    }
    for i, child in enumerate(children):
        form.update({f"children.{i}.{k}": v for k, v in child.items()})
    for i, member in enumerate(household or []):
        form.update({f"household.{i}.{k}": v for k, v in member.items()})
    form.update(changes)
    return form


async def take_in_directly(live_api: LiveApi, child: Form) -> str:
    """A case taken in through the API (as another screener did earlier); its id."""
    body = {
        "received_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "source": "3A",
        "referrer": {"name": "Dr Example", "phone": "0100"},
        "child": child,
        "concern": "Bruising seen at a check-up.",
        "categories": ["physical_abuse"],
        "consent": "given",
    }
    answer = await live_api.client.post(
        "/referrals",
        json=body,
        headers={**live_api.staff.practitioner, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["referral_id"])


async def read(live_api: LiveApi, path: str) -> Any:
    answer = await live_api.client.get(path, headers=live_api.staff.practitioner)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def case_count(live_api: LiveApi) -> int:
    listed = await live_api.client.get("/referrals", headers=live_api.staff.manager)
    assert listed.status_code == 200, listed.text
    return int(listed.json()["total"])


def error_beside(html: str, field: str) -> str:
    """The error message shown beside `field` (its GOV.UK error message element)."""
    dotted = re.sub(r"[^A-Za-z0-9_-]", "-", field)
    found = re.search(rf'<p id="f-{dotted}-error" class="govuk-error-message">(.*?)</p>', html)
    assert found is not None, f"no error beside {field}"
    return text_of(found.group(1)).removeprefix("Error: ")


async def opened_form(person: Person) -> str:
    html = await person.open("/work/contacts/new")
    assert html.count("<h1") == 1 and "Take in a contact" in text_of(html)
    return html


async def test_a_contact_about_two_children_makes_two_cases(live_api: LiveApi) -> None:
    async with signed_in(live_api, "pat.practitioner", "practitioner") as practitioner:
        html = await opened_form(practitioner)
        seen = text_of(html)
        assert "Child 1" in seen and "Child 2" in seen and "Child 3" in seen
        assert "Person 1 in the household" in seen
        assert re.search(r'name="received_at" type="datetime-local" value="\d{4}-\d\d-\d\dT', html)
        assert '<option value="2A">2A: Schools</option>' in html
        assert 'formaction="/work/contacts/check"' in html

        # One more child group, nothing typed lost.
        form = contact_form([JAYDEN, MIA], [MOTHER, PARTNER])
        more = await practitioner.submit(
            "/work/contacts/new", {**form, "add": "child"}, page=html, status=200
        )
        assert "Child 4" in text_of(more.text) and "Child 5" not in text_of(more.text)
        assert 'value="Mia Smith"' in more.text and 'value="Lee Jones"' in more.text
        assert "shouting heard at night." in more.text

        answer = await practitioner.submit("/work/contacts/new", form, page=more.text)
        location = answer.headers["location"]
        task = re.fullmatch(r"/work/tasks/([0-9a-f-]{36})\?notice=(.*)", location)
        assert task is not None, location
        assert "2 new cases made" in unquote(task.group(2))

    screening = (await read(live_api, f"/tasks/{task.group(1)}"))["task"]
    assert screening["kind"] == "screening"
    first = await read(live_api, f"/referrals/{screening['referral_id']}")
    assert first["intake"]["child"]["name"] == "Jayden Smith"
    assert [(m["name"], m["parental_responsibility"]) for m in first["intake"]["household"]] == [
        ("Pat Smith", True),
        ("Lee Jones", False),
    ]
    assert first["intake"]["categories"] == ["neglect", "domestic_abuse"]
    [sibling] = first["siblings"]
    second = await read(live_api, f"/referrals/{sibling['referral_id']}")
    assert second["intake"]["child"]["name"] == "Mia Smith"
    assert second["stage"] == "screening"
    assert await case_count(live_api) == 2


async def test_a_form_missing_what_the_api_needs_shows_each_error_beside_its_field(
    live_api: LiveApi,
) -> None:
    async with signed_in(live_api, "pat.practitioner", "practitioner") as practitioner:
        html = await opened_form(practitioner)
        typed = {
            "received_at": "",
            "children.0.name": "Ava Brown",
            "children.0.nhs_number": "123",
            "concern": "Left alone overnight.",
        }
        answer = await practitioner.submit("/work/contacts/new", typed, page=html, status=422)
        page = answer.text
        seen = text_of(page)
        assert "There is a problem" in seen and page.startswith("<!doctype html>")
        assert "<title>Error: Take in a contact" in page
        assert error_beside(page, "received_at") == "When the contact was received is required"
        assert error_beside(page, "source") == "Who made the contact (source) is required"
        assert error_beside(page, "referrer.name") == "The referrer's name is required"
        assert error_beside(page, "children.0.address") == "Child 1: address is required"
        nhs = error_beside(page, "children.0.nhs_number")
        assert nhs == "Child 1: NHS number: must be 10 digits"
        assert error_beside(page, "categories") == "Categories of concern: choose at least one"
        assert error_beside(page, "consent") == "Parental consent is required"
        # The summary links to each field.
        assert 'href="#f-children-0-address"' in page and 'id="f-children-0-address"' in page
        # What was typed is still there, and the same form goes again.
        assert 'value="Ava Brown"' in page and ">Left alone overnight.</textarea>" in page
        assert 'value="123"' in page

        # The rules that span fields are the API's too: no way to reach the referrer.
        ava = {"name": "Ava Brown", "age_estimate_years": "6", "address": "1 Low Road"}
        fixed = {**contact_form([ava]), "referrer.phone": ""}
        again = await practitioner.submit("/work/contacts/new", fixed, page=page, status=422)
        assert "phone number or an email address" in error_beside(again.text, "referrer.phone")
        assert 'value="Ava Brown"' in again.text
    assert await case_count(live_api) == 0


async def test_checking_for_existing_records_shows_a_child_already_taken_in(
    live_api: LiveApi,
) -> None:
    open_id = await take_in_directly(live_api, JAYDEN)
    async with signed_in(live_api, "pat.practitioner", "practitioner") as practitioner:
        html = await opened_form(practitioner)
        zara = {"name": "Zara Quinn", "age_estimate_years": "9", "address": "7 Far Lane"}
        form = contact_form([{**JAYDEN, "name": "Jaiden Smith"}, zara])
        checked = await practitioner.submit("/work/contacts/check", form, page=html, status=200)
        page = checked.text
        records = page.split('id="records-1"', 1)[1].split('id="child-2"', 1)[0]
        seen = text_of(records)
        assert "Existing records that may be child 1" in seen
        assert "Jayden Smith" in seen and "4 March 2015" in seen
        assert "same date of birth" in seen
        assert f'href="/work/cases/{open_id}"' in records and "(open: screening)" in seen
        assert "No existing records found for child 2." in text_of(page)
        # The form is as it was: nothing typed lost, nothing taken in.
        assert 'value="Jaiden Smith"' in page and 'value="Zara Quinn"' in page
        assert "Nothing has been taken in yet." in text_of(page)
    assert await case_count(live_api) == 1


async def test_a_contact_about_a_child_with_an_open_case_can_be_added_to_it(
    live_api: LiveApi,
) -> None:
    open_id = await take_in_directly(live_api, JAYDEN)
    async with signed_in(live_api, "pat.practitioner", "practitioner") as practitioner:
        html = await opened_form(practitioner)
        form = contact_form([{**JAYDEN, "name": "Jaiden Smith"}], [MOTHER],
                            concern="Seen out alone at 11pm by a neighbour.")  # fmt: skip
        asked = await practitioner.submit("/work/contacts/new", form, page=html, status=409)
        page = asked.text
        assert "Child 1 may already have an open case" in text_of(page)
        assert f'href="/work/cases/{open_id}"' in page
        assert f'name="children.0.add_to_case" type="radio" value="{open_id}"' in page
        assert 'value="new"' in page and "Open a new case for this child" in text_of(page)
        assert 'value="Jaiden Smith"' in page and 'value="Pat Smith"' in page

        # Choosing nothing keeps asking, the open case still shown.
        again = await practitioner.submit("/work/contacts/new", form, page=page, status=409)
        assert f'href="/work/cases/{open_id}"' in again.text

        added = await practitioner.submit(
            "/work/contacts/new",
            {**form, "children.0.add_to_case": open_id, "open_case.0": _hidden_open(page)},
            page=again.text,
        )
        location = unquote(added.headers["location"])
        assert "added to 1 open case as new information" in location
        assert location.startswith(("/work/tasks/", f"/work/cases/{open_id}"))

    case = await read(live_api, f"/referrals/{open_id}")
    assert [item["text"] for item in case["information"]] == [
        "Seen out alone at 11pm by a neighbour."
    ]
    assert "Example Primary" in case["information"][0]["source"]
    assert await case_count(live_api) == 1  # no second case


def _hidden_open(page: str) -> str:
    found = re.search(r'name="open_case\.0" value="([^"]*)"', page)
    assert found is not None
    return markup.unescape(found.group(1))


async def test_a_double_submit_makes_one_case(live_api: LiveApi) -> None:
    async with signed_in(live_api, "pat.practitioner", "practitioner") as practitioner:
        html = await opened_form(practitioner)
        form = contact_form([MIA], [MOTHER])
        one = await practitioner.submit("/work/contacts/new", form, page=html)
        two = await practitioner.submit("/work/contacts/new", form, page=html)
        assert one.headers["location"].split("?")[0] == two.headers["location"].split("?")[0]

        # Changed after it was taken in (back in the browser): the form says so, and a fresh
        # key lets a further contact be sent on purpose.
        changed = {**form, "concern": "A further worry."}
        again = await practitioner.submit("/work/contacts/new", changed, page=html, status=422)
        assert "This form was taken in already" in text_of(again.text)
        assert hidden(again.text, "idempotency_key") != hidden(html, "idempotency_key")
        assert ">A further worry.</textarea>" in again.text
    assert await case_count(live_api) == 1


async def test_a_partner_cannot_take_in_a_contact(live_api: LiveApi) -> None:
    async with signed_in(live_api, "duty.police", "agency", agency="police") as partner:
        html = await partner.open("/work/contacts/new", status=403)
        seen = text_of(html)
        assert "Taking in a contact is for the front door's practitioners and managers." in seen
        assert 'name="children.0.name"' not in html
        sent = await partner.submit(
            "/work/contacts/new", contact_form([MIA]), page=html, status=403
        )
        assert "practitioners and managers" in text_of(sent.text)


async def test_the_intake_form_in_chromium_passes_axe(
    live_api: LiveApi, served_api: str, tmp_path: Path
) -> None:
    open_id = await take_in_directly(live_api, JAYDEN)
    visits = Visits(tmp_path)
    async with chromium() as browser:
        context = await browser.new_context(base_url=served_api)
        page = await context.new_page()
        await page.goto("/work/contacts/new")  # no session: to the sign-in form, then back here
        await page.get_by_label("User id").fill("pat.practitioner")
        await page.get_by_label("Your name").fill("Pat Practitioner")
        await page.get_by_label("practitioner", exact=True).check()
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Take in a contact")
        await visits.check(page, "intake")

        # Sent with nearly nothing: the errors, each linked to its field.
        child = page.get_by_role("group", name="Child 1", exact=True)
        await child.get_by_label("Full name").fill("Jaiden Smith")
        await page.get_by_role("button", name="Take in the contact").click()
        await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        await visits.check(page, "intake-errors")
        await page.get_by_role("link", name="Child 1: address is required").click()
        await expect(child.get_by_label("Address", exact=True)).to_be_focused()

        await child.get_by_label("Date of birth", exact=True).fill("2015-03-04")
        await child.get_by_label("Address", exact=True).fill("3 High Street")
        await page.get_by_label("Who made the contact (source)").select_option("2A")
        referrer = page.get_by_role("group", name="Who made the referral and how to reach them")
        await referrer.get_by_label("Name", exact=True).fill("A Teacher")
        await referrer.get_by_label("Phone number").fill("0100 000 0000")
        await page.get_by_label("What is the concern?").fill("Seen out alone at 11pm.")
        await page.get_by_label("Neglect").check()
        await page.get_by_label("Given: the parents know").check()
        await page.get_by_role("button", name="Check for existing records").click()
        records = page.locator("#records-1")
        await expect(records).to_contain_text("Jayden Smith")
        await visits.check(page, "intake-records")

        await page.get_by_role("button", name="Take in the contact").click()
        await expect(page.locator("#open-case-1")).to_contain_text("may already have an open case")
        await visits.check(page, "intake-open-case")
        await page.get_by_label(f"Add this contact to case {open_id[:8]}").check()
        await page.get_by_role("button", name="Take in the contact").click()
        await page.wait_for_url(re.compile(r"/work/(tasks|cases)/"))
    assert visits.blocking() == []
