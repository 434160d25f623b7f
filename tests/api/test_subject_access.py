"""`GET /referrals/{id}/subject-access`: everything held about a child across their referrals,
for managers and records officers, as JSON and as a page to print (read in headless Chromium);
the referrer marked for redaction; the export itself in the access trail; disposed records."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.auth import StaffRole
from domain.tasks import Agency
from store import case_entry, referral
from tests.api.conftest import LiveApi
from tests.api.test_dashboard import CHROMIUM, _chromium
from tests.api.test_record import NHS, _closed_case
from tests.api.test_referrals import intake_body
from tests.workflows.driver import LIVED_EXPERIENCE

ROUTE = "/referrals/{referral_id}/subject-access"
NURSE = {"name": "B Nurse", "organisation": "Example Surgery", "email": "b.nurse@example.org"}


def officer(api: LiveApi) -> dict[str, str]:
    return api.staff.headers("rita.records", StaffRole.records_officer)


async def _again(api: LiveApi, **changes: Any) -> str:
    """A second referral of the same child (same NHS number), left open; its id."""
    body = intake_body(child={**intake_body()["child"], "nhs_number": NHS}, **changes)
    created = await api.client.post("/referrals", json=body, headers=api.staff.practitioner)
    assert created.status_code == 201, created.text
    return str(created.json()["referral_id"])


async def _correct_intake(api: LiveApi, referral_id: str) -> None:
    """A manager corrects the intake: the child's address, and the referrer's phone added."""
    held = (await _export(api, referral_id)).json()["referrals"][-1]
    corrected = intake_body(
        child={**intake_body()["child"], "nhs_number": NHS, "address": "2 Example Street"},
        referrer={**NURSE, "phone": "0200 000 000"},
        received_at=held["intake"]["received_at"],
    )
    made = await api.client.post(
        f"/referrals/{referral_id}/corrections",
        json={"entry_id": held["intake_entry_id"], "reason": "Moved", "corrected": corrected},
        headers={**api.staff.manager, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert made.status_code == 201, made.text


async def _export(api: LiveApi, referral_id: str, **params: str) -> Any:
    response = await api.client.get(
        f"/referrals/{referral_id}/subject-access", params=params, headers=officer(api)
    )
    assert response.status_code == 200, response.text
    return response


async def test_the_export_holds_every_referral_of_the_child_with_the_referrer_marked(
    live_api: LiveApi,
) -> None:
    api, staff = live_api.client, live_api.staff
    first = await _closed_case(live_api)
    second = await _again(live_api, referrer=NURSE)
    added = await api.post(
        f"/referrals/{second}/information",
        json={"text": "Grandmother says Sam missed school all week.", "source": "family"},
        headers=staff.practitioner,
    )
    assert added.status_code == 200, added.text
    await _correct_intake(live_api, second)
    other = await api.post(
        "/referrals",
        json=intake_body(child={**intake_body()["child"], "name": "Alex Other"}),
        headers=staff.practitioner,
    )
    assert other.status_code == 201, other.text

    response = await _export(live_api, second)

    assert response.headers["cache-control"] == "no-store"
    export = response.json()
    assert export["requested_for"] == second and export["generated_by"] == "rita.records"
    assert export["child"]["address"] == "2 Example Street"  # as corrected
    held = {r["referral_id"]: r for r in export["referrals"]}
    assert list(held) == [first, second]
    assert other.json()["referral_id"] not in held
    old, new = held[first], held[second]
    assert (old["stage"], old["outcome"], old["source"]) == ("closed", "assessment", "2A")
    assert (
        old["closed_at"] and old["deadlines"]["mash_decision"] and old["milestones"]["mash_decided"]
    )
    assert old["deadlines"]["referrer_feedback"] and old["milestones"]["referrer_told"]
    assert old["deadlines"]["handover"] and old["milestones"]["handed_over"]
    assert old["intake"]["concern"] == intake_body()["concern"]
    assert old["intake"]["household"][0]["name"] == "Pat Example"

    results = {e["body"]["task_kind"]: e for e in old["entries"] if e["kind"] == "task_result"}
    assert results["decision"]["body"]["result"]["lived_experience"] == LIVED_EXPERIENCE
    assert results["decision"]["actor"] == "mo.manager" and results["decision"]["at"]
    assert results["visit"]["body"]["result"]["child_words"] == "I like football and my teacher."
    assert results["agency_check"]["actor"] == "duty.police"
    information = [e["body"] for e in old["entries"] + new["entries"] if e["kind"] == "information"]
    assert [i["text"] for i in information] == [
        "Neighbour heard shouting late on Friday.",
        "Grandmother says Sam missed school all week.",
    ]
    assert all(e["kind"] != "intake" for e in old["entries"])  # the intake is `intake`, marked
    (correction,) = [e for e in new["entries"] if e["kind"] == "correction"]
    assert correction["corrects"] == new["intake_entry_id"] and correction["actor"] == "mo.manager"
    assert correction["body"]["reason"] == "Moved"
    assert correction["body"]["corrected"]["child"]["address"] == "2 Example Street"
    assert new["intake"]["child"]["address"] == "1 Example Street"  # as taken in, also kept
    decision_task = next(t for t in old["tasks"] if t["kind"] == "decision")
    assert decision_task["completed_by"] == "mo.manager" and decision_task["closed_at"]
    audit = [e["kind"] for e in old["audit"]]
    assert audit[0] == "referral_received" and "case_closed" in audit

    routes = {(a["user_id"], a["method"], a["route"]) for a in old["access"]}
    assert ("duty.police", "POST", "/tasks/{task_id}/complete") in routes
    assert ("pat.practitioner", "POST", "/referrals/{referral_id}/information") in routes
    assert all("client_ip" not in a for a in old["access"])

    # The referrer's identity: kept, every field marked, nowhere else in the export.
    mark = {"redact": True, "reason": "third party: the referrer"}
    assert old["intake"]["redact"] == ["referrer"] == new["intake"]["redact"]
    assert old["intake"]["referrer"] == {
        "name": {"value": "A Teacher", **mark},
        "organisation": {"value": "Example Primary", **mark},
        "phone": {"value": "0100 000 000", **mark},
        "email": {"value": None, **mark},
    }
    assert new["intake"]["referrer"]["email"] == {"value": "b.nurse@example.org", **mark}
    assert correction["body"]["corrected"]["redact"] == ["referrer"]
    assert correction["body"]["corrected"]["referrer"]["phone"] == {"value": "0200 000 000", **mark}
    for value in ("A Teacher", "Example Primary", "0100 000 000", "B Nurse", "0200 000 000"):
        marked = response.text.count(f'{{"value":"{value}","redact":true')
        assert marked == response.text.count(value) >= 1, value  # never unmarked
    assert "removed before this export is given to the child" in export["redaction"]


async def test_managers_and_records_officers_only(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await _again(live_api)
    url = f"/referrals/{referral_id}/subject-access"

    assert (await api.get(url, headers=staff.manager)).status_code == 200
    assert (await api.get(url, headers=officer(live_api))).status_code == 200
    for refused in (staff.practitioner, staff.agency(Agency.police), staff.engineer):
        answer = await api.get(url, headers=refused)
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"] == "forbidden"
    assert (await api.get(url)).status_code == 401
    pdf = await api.get(url, params={"format": "pdf"}, headers=staff.manager)
    assert pdf.status_code == 422 and pdf.json()["error"]["details"][0]["field"] == "format"
    missing = await api.get(f"/referrals/{uuid.uuid4()}/subject-access", headers=staff.manager)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_each_export_is_in_the_access_trail_of_the_next(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await _again(live_api)
    refused = await api.get(f"/referrals/{referral_id}/subject-access", headers=staff.practitioner)
    assert refused.status_code == 403

    first = (await _export(live_api, referral_id)).json()
    await _export(live_api, referral_id, format="html")
    second = (await _export(live_api, referral_id)).json()

    def exports(held: dict[str, Any]) -> list[tuple[str, list[str], int]]:
        (case,) = held["referrals"]
        rows = [a for a in case["access"] if a["route"] == ROUTE]
        assert all(a["method"] == "GET" for a in rows)
        return [(a["user_id"], a["roles"], a["status"]) for a in rows]

    assert exports(first) == [("pat.practitioner", ["practitioner"], 403)]
    assert exports(second) == [
        ("pat.practitioner", ["practitioner"], 403),
        ("rita.records", ["records_officer"], 200),
        ("rita.records", ["records_officer"], 200),
    ]


async def test_a_disposed_record_is_gone_from_the_export(live_api: LiveApi) -> None:
    api = live_api.client
    first = await _closed_case(live_api)
    second = await _again(live_api)
    async with live_api.pool.acquire() as conn, conn.transaction():
        await case_entry.dispose_of(conn, uuid.UUID(first))
        await referral.mark_disposed(conn, uuid.UUID(first), datetime(2026, 5, 4, 9, tzinfo=UTC))

    gone = await api.get(f"/referrals/{first}/subject-access", headers=officer(live_api))
    export = (await _export(live_api, second)).json()

    assert gone.status_code == 410, gone.text
    assert gone.json()["error"]["code"] == "disposed" and "2026-05-04" in gone.text
    # Disposal cleared the keys that matched the child: the disposed referral is not theirs now.
    assert [r["referral_id"] for r in export["referrals"]] == [second]


async def test_a_disposed_referral_still_matched_shows_as_disposed_with_nothing_opened(
    live_api: LiveApi,
) -> None:
    """The export goes by `disposed_at`, not by what rows remain: a disposed referral that still
    matches the child (only a row disposed of other than by `frontdoor records dispose`, which
    clears the keys) shows its codes and the disposal, and none of its entries."""
    first = await _closed_case(live_api)
    second = await _again(live_api)
    async with live_api.pool.acquire() as conn:
        await conn.execute(
            "UPDATE referral SET disposed_at = '2026-05-04T09:00Z' WHERE referral_id = $1",
            uuid.UUID(first),
        )

    export = (await _export(live_api, second)).json()
    page = (await _export(live_api, second, format="html")).text

    disposed, kept = export["referrals"]
    assert disposed["referral_id"] == first and kept["referral_id"] == second
    assert disposed["disposal"] == "disposed on 2026-05-04 under the retention schedule"
    assert (disposed["intake"], disposed["entries"]) == (None, [])
    assert disposed["stage"] == "closed" and disposed["audit"]
    assert kept["intake"]["child"]["name"] == "Sam Example"
    assert "disposed on 2026-05-04 under the retention schedule" in page
    assert LIVED_EXPERIENCE not in page


REDACTED = re.compile(
    r'<span class="redact" title="Redact: ([^"]+)"><span class="v">([^<]*)</span>'
)


async def test_the_page_to_print_shows_the_child_and_the_marks(
    live_api: LiveApi, tmp_path: Path
) -> None:
    first = await _closed_case(live_api)
    second = await _again(live_api, referrer=NURSE)
    await _correct_intake(live_api, second)

    response = await _export(live_api, second, format="html")

    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]
    page = response.text
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "Subject access: everything held about Sam Example" in page
    assert "2 Example Street" in page and NHS in page and "01 Mar 2019" in page
    assert page.index(f'id="referral-{first}"') < page.index(f'id="referral-{second}"')
    assert "Referral 1: received" in page and "Referral 2: received" in page
    assert LIVED_EXPERIENCE in page and "Neighbour heard shouting late on Friday." in page
    marks = REDACTED.findall(page)
    assert ("third party: the referrer", "A Teacher") in marks
    assert ("third party: the referrer", "b.nurse@example.org") in marks
    assert ("third party: the referrer", "0200 000 000") in marks  # in the correction too
    assert len(marks) == 12  # name, organisation, phone, email of each intake and the correction
    assert page.count("A Teacher") == 1 and page.count("B Nurse") == 2
    assert page.count('<span class="why">') == 12 and 'id="redaction-note"' in page
    assert "Correction of the intake" in page

    # As a browser shows it: a file on disk, opened with nothing else to load.
    chromium = shutil.which(CHROMIUM) or shutil.which("chromium")
    if chromium is None:
        pytest.fail("Chromium is missing: install Debian's package (apt-get install -y chromium)")
    saved = tmp_path / "subject-access.html"
    saved.write_text(page)
    dom = await _chromium(chromium, tmp_path / "profile-dom", "--dump-dom", saved.as_uri())
    assert "Sam Example" in dom and ("third party: the referrer", "A Teacher") in REDACTED.findall(
        dom
    )
    screenshot = tmp_path / "subject-access.png"
    await _chromium(
        chromium,
        tmp_path / "profile-shot",
        f"--screenshot={screenshot}",
        "--window-size=1100,1800",
        saved.as_uri(),
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
    keep = os.environ.get("FRONTDOOR_SCREENSHOT_DIR")
    if keep:
        shutil.copy(screenshot, Path(keep) / "subject-access.png")
