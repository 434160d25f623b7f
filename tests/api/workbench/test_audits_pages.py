"""Case audits in the workbench: a manager draws March 2026's sample from /work/audits (a bad
month named beside its field), an auditor finds an audit given to them, opens it, leaves a
grade out and sees the API's error beside that question with what they wrote kept, then saves
the whole form, which submits the audit as the API reads it back."""

from __future__ import annotations

import re

from api.auth import StaffRole
from domain.quality import Question
from tests.api.conftest import LiveApi
from tests.api.test_quality_audits import add_march
from tests.api.workbench.pages import hidden, signed_in, text_of

AUDIT_LINK = re.compile(r'href="/work/audits/([0-9a-f-]{36})"')


def _answers(grade: str = "good", *, leave_out: int | None = None) -> dict[str, str]:
    form: dict[str, str] = {}
    for i, question in enumerate(Question):
        form[f"answers.{i}.question"] = question.value
        form[f"answers.{i}.grade"] = "" if i == leave_out else grade
        form[f"answers.{i}.evidence"] = f"Seen alone at school ({question.value})"
    return form | {"overall_grade": grade, "rationale": "Timely and proportionate work."}


def _error_of(html: str, field: str) -> str:
    match = re.search(
        rf'<p id="{re.escape(field)}-error" class="govuk-error-message">(.*?)</p>', html, re.S
    )
    assert match is not None, f"no error beside {field}"
    return text_of(match.group(1))


async def test_a_manager_draws_a_sample_and_an_auditor_submits_an_audit(
    live_api: LiveApi,
) -> None:
    await add_march(live_api.pool)
    async with signed_in(live_api, "ann.auditor", "auditor") as auditor:
        before = await auditor.open("/work/audits")
        assert "No audit is assigned to you." in text_of(before)

    async with signed_in(live_api, "mo.manager", "manager") as manager:
        page = await manager.open("/work/audits")
        assert "Draw a sample" in text_of(page)
        refused = await manager.submit(
            "/work/audits/samples", {"month": "2026-13"}, page=page, status=422
        )
        assert "2026-13" in refused.text  # what was typed is kept
        assert "Month" in _error_of(refused.text, "f-month")
        assert 'href="#f-month"' in refused.text  # the error summary links to the field

        nobody = await manager.submit(
            "/work/audits/samples",
            {"month": "2026-03", "auditors": "mo.manager"},
            page=page,
            status=409,
        )
        assert "every auditor worked case" in text_of(_summary(nobody.text))
        assert 'value="mo.manager"' not in nobody.text and "mo.manager</textarea>" in nobody.text

        drawn = await manager.submit(
            "/work/audits/samples",
            {"month": "2026-03", "auditors": ""},  # those who signed in: ann and mo
            page=page,
        )
        after = await manager.open(drawn.headers["location"])
        assert "Sample for 2026-03 drawn:" in text_of(after)
        assert "of 12 closed cases" in text_of(after)

    async with signed_in(live_api, "ann.auditor", "auditor") as auditor:
        mine = await auditor.open("/work/audits")
        assert "Your audits" in text_of(mine) and "Draw a sample" not in text_of(mine)
        audit_id = AUDIT_LINK.findall(mine)[0]
        address = f"/work/audits/{audit_id}"
        form_page = await auditor.open(address)
        assert "Was the child seen, and seen alone?" in text_of(form_page)

        blank = await auditor.submit(address, _answers(leave_out=3), page=form_page, status=422)
        assert _error_of(blank.text, "f-answers-3-grade") == "Error: Agencies: grade is required"
        assert 'href="#f-answers-3-grade"' in blank.text
        assert "Seen alone at school (agencies)" in blank.text  # the evidence typed is kept

        blank_evidence = _answers() | {"answers.0.evidence": "   "}
        short = await auditor.submit(address, blank_evidence, page=form_page, status=422)
        assert _error_of(short.text, "f-answers-0-evidence").startswith("Error: Child seen:")

        saved = await auditor.submit(address, _answers("good"), page=form_page)
        shown = await auditor.open(saved.headers["location"])
        assert "Audit saved and submitted." in text_of(shown)
        assert "Status Submitted" in text_of(shown)

    headers = live_api.staff.headers("ann.auditor", StaffRole.auditor)
    view = (await live_api.client.get(f"/audits/{audit_id}", headers=headers)).json()
    assert view["status"] == "submitted" and view["overall_grade"] == "good"
    assert len(view["answers"]) == len(Question)


async def test_a_practitioner_has_no_audits_page(live_api: LiveApi) -> None:
    async with signed_in(live_api, "pat.practitioner", "practitioner") as practitioner:
        html = await practitioner.open("/work/audits", status=403)
        assert "You do not have access to this." in text_of(html)


async def test_a_second_auditor_moderates_and_a_disagreement_needs_its_resolution(
    live_api: LiveApi,
) -> None:
    march = await add_march(live_api.pool)
    drawn = await live_api.client.post(
        "/audits/samples",
        json={"month": "2026-03", "auditors": ["ann.auditor"], "rules": {"moderation_share": 1}},
        headers=live_api.staff.manager,
    )
    assert drawn.status_code == 201, drawn.text
    audit = next(a for a in drawn.json()["audits"] if a["referral_id"] == str(march.exploited))
    address = f"/work/audits/{audit['audit_id']}"

    async with signed_in(live_api, "ann.auditor", "auditor") as auditor:
        page = await auditor.open(address)
        await auditor.submit(address, _answers("good"), page=page)
        action = {"action": "Refresh MACE training", "owner": "", "due_on": "2026-04-30"}
        ownerless = await auditor.submit(f"{address}/actions", action, page=page, status=422)
        assert _error_of(ownerless.text, "f-owner") == "Error: Owner is required"
        raised = await auditor.submit(
            f"{address}/actions", action | {"owner": "pat.practitioner"}, page=page
        )
        shown = text_of(_table(await auditor.open(raised.headers["location"]), "action-list"))
        assert "Refresh MACE training pat.practitioner 30 Apr 2026 Open Overdue" in shown

    async with signed_in(live_api, "ben.auditor", "auditor") as moderator:
        listed = await moderator.open("/work/audits")
        assert f'href="{address}"' in listed and "Audits to moderate" in text_of(listed)
        page = await moderator.open(address)
        assert "Timely and proportionate work." in text_of(page)  # the auditor's answers
        assert 'id="audit-form"' not in page  # not theirs to answer
        disagree = {"grade": "requires_improvement", "agrees": "no"}
        refused = await moderator.submit(f"{address}/moderation", disagree, page=page, status=422)
        assert "Resolved grade" in _error_of(refused.text, "f-resolved_grade")
        assert 'value="no" checked' in refused.text  # what they chose is kept

        resolution = "Exploitation was named but no MACE discussion was sought."
        moderated = await moderator.submit(
            f"{address}/moderation",
            disagree | {"resolved_grade": "requires_improvement", "resolution": resolution},
            page=page,
        )
        shown = text_of(await moderator.open(moderated.headers["location"]))
        assert "Moderation recorded." in shown and "Status Moderated" in shown
        assert resolution in shown


def _summary(html: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match is not None, "no error summary"
    return match.group(0)


def _table(html: str, element_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{element_id}".*?</table>', html, re.S)
    assert match is not None, f"no table {element_id}"
    return match.group(0)


async def test_the_draw_form_sent_twice_draws_one_sample(live_api: LiveApi) -> None:
    """Pressing "Draw the sample" twice (the same form, its Idempotency-Key) draws one sample:
    both presses are told of it, and the auditors get each case once."""
    await add_march(live_api.pool)
    async with signed_in(live_api, "ann.auditor", "auditor") as auditor:
        await auditor.open("/work/audits")  # seen at work: one of the default auditors
    async with signed_in(live_api, "mo.manager", "manager") as manager:
        page = await manager.open("/work/audits")
        key = hidden(page, "idempotency_key")
        form = {"month": "2026-03", "auditors": ""}
        first = await manager.submit("/work/audits/samples", form, page=page)
        second = await manager.submit("/work/audits/samples", form, page=page)
        told = [text_of(await manager.open(r.headers["location"])) for r in (first, second)]
        notice = re.search(r"Sample for 2026-03 drawn: [^.]*\.\)?", told[0])
        assert notice is not None and notice.group(0) in told[1]  # the same sample, same seed
        fresh = await manager.open("/work/audits")
        assert hidden(fresh, "idempotency_key") != key  # the next draw is a new one
    async with live_api.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM audit_sample") == 1
        assert await conn.fetchval(
            "SELECT count(*) = count(DISTINCT referral_id) FROM audit"
        )  # each case drawn once
