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
from tests.api.workbench.pages import signed_in, text_of

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

    async with signed_in(live_api, "mo.manager", "manager") as manager:
        page = await manager.open("/work/audits")
        assert "Draw a sample" in text_of(page)
        refused = await manager.submit(
            "/work/audits/samples", {"month": "2026-13"}, page=page, status=422
        )
        assert "2026-13" in refused.text  # what was typed is kept
        assert "Month" in _error_of(refused.text, "f-month")
        assert 'href="#f-month"' in refused.text  # the error summary links to the field

        drawn = await manager.submit(
            "/work/audits/samples",
            {"month": "2026-03", "auditors": "ann.auditor\nben.auditor"},
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
