"""The forms of the first tasks (screening, agency check, the decisions, the strategy discussion,
the visit, the police welfare check, the review), rendered as the task page includes them: every
field of the task's result has an input named after its path, with a label and a hint; an error
is shown beside its field; a filled form is the task's result; the API's refusals are worded as
GOV.UK error messages beside the field they name."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from api.models.tasks import CompleteTask
from api.pages import templates
from api.workbench.calls import RefusedError
from api.workbench.forms import body_of, field_id, local_input
from api.workbench.render import val, vals
from api.workbench.task_errors import task_errors
from api.workbench.task_forms import (
    FORM_HEADINGS,
    KIND_LABELS,
    choices,
    field_paths,
    label_of,
    notice,
    result_model,
    result_models,
)
from domain.tasks import TaskKind

KINDS = (
    "screening",
    "agency_check",
    "decision",
    "referral_decision",
    "strategy_discussion",
    "visit",
    "police_welfare_check",
    "review_new_information",
)
NOW = "2026-03-02T10:15"
PAGE = (
    '{% import "workbench/macros.html" as ui with context %}'
    '<form>{% include "workbench/tasks/" ~ task.kind ~ ".html" %}</form>'
)


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.described: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if found.get("id"):
            self.ids.add(found["id"])
        if tag == "label" and found.get("for"):
            self.label_for.add(found["for"])
        if tag in ("input", "textarea", "select") and found.get("name"):
            self.names.add(found["name"])
        if found.get("aria-describedby"):
            self.described[found.get("id") or found.get("name", "")] = found["aria-describedby"]


def render(
    kind: str, values: dict[str, Any] | None = None, errors_by: dict[str, str] | None = None
) -> str:
    errors_by = errors_by or {}
    context = {
        "task": {"task_id": "t1", "referral_id": "r1", "kind": kind, "due_at": NOW},
        "detail": {
            "view": "staff",
            "intake": {"household": [{"name": "Pat Example"}]},
            "case": {"information": [{"text": "Dad is back.", "source": "school", "at": NOW}]},
        },
        "values": values if values is not None else {},
        "errors": list(errors_by),
        "errors_by": errors_by,
        "field_id": field_id,
        "val": val,
        "vals": vals,
        "local_time": local_input,
        "when_text": str,
        "now_local": NOW,
        "csrf": "token",
        "choices": choices(),
    }
    return templates().from_string(PAGE).render(**context)


def _leaves(model: type[BaseModel]) -> set[str]:
    paths = field_paths(str(model.model_fields["kind"].default))
    return {p for p in paths if not any(q.startswith(f"{p}.") for q in paths)}


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_of_the_result_is_on_the_form_labelled_and_hinted(kind: str) -> None:
    html = render(kind)
    fields = _Fields()
    fields.feed(html)
    for name in _leaves(result_model(kind)):
        assert name in fields.names, f"{kind}: no field {name}"
        assert field_id(name) in fields.label_for or f"{field_id(name)}-hint" in html, name
        assert f'id="{field_id(name)}-hint"' in html, f"{kind}: no hint for {name}"
    assert fields.ids >= fields.label_for  # every label is for a control on the form


@pytest.mark.parametrize("kind", KINDS)
def test_an_error_is_shown_beside_its_field(kind: str) -> None:
    name = sorted(_leaves(result_model(kind)))[0]
    html = render(kind, errors_by={name: "Enter this"})
    assert f'<p id="{field_id(name)}-error" class="govuk-error-message">' in html
    assert "Enter this" in html


def test_the_choices_are_every_enum_the_results_use() -> None:
    offered = choices()
    for name in ("Rag", "Agency", "DecisionOutcome", "ContactMethod", "NotSeenReason"):
        assert name in offered
    for name in ("StrategyOutcome", "AssessmentOutcome", "Section47Outcome", "NrmRoute"):
        assert name in offered
    assert {"ConferenceOutcome", "ExploitationRisk", "ExploitationIndicator"} <= set(offered)
    assert ("nfa", "No further action") in offered["DecisionOutcome"]
    assert set(result_models()) >= set(KINDS)


def test_a_filled_visit_form_is_the_visit_result() -> None:
    form = {
        "visited_at": [NOW], "child_seen": ["no"], "not_seen_reason": ["no_access"],
        "observations": ["Curtains drawn."], "seen_alone": [""], "child_words": [""],
    }  # fmt: skip
    body = body_of(result_model("visit"), form, fixed={"kind": "visit"})
    result = CompleteTask.model_validate({"result": body}).result
    assert result.kind == "visit" and body["visited_at"].startswith("2026-03-02T10:15:00+00:00")
    # The visit starts at now on a fresh form, and keeps what was typed when sent back.
    assert f'value="{NOW}"' in render("visit")
    assert 'value=""' in render(
        "visit", {"visited_at": [""]}, {"visited_at": "Enter when you visited"}
    )


def test_a_screening_form_is_the_screening_result_and_a_blank_one_is_refused() -> None:
    form = {
        "rag": ["red"], "immediate_risk": ["yes"], "rationale": ["Bruising."],
        "agencies": ["police", "health"], "exploitation.risk": ["emerging"],
        "exploitation.indicators": ["going_missing"],
        "exploitation.other_indicators": ["Seen with older boys\nNew trainers"],
        "exploitation.rationale": ["Out late twice."],
    }  # fmt: skip
    body = body_of(result_model("screening"), form, fixed={"kind": "screening"})
    result = CompleteTask.model_validate({"result": body}).result
    assert body["exploitation"]["other_indicators"] == ["Seen with older boys", "New trainers"]
    assert result.kind == "screening" and result.immediate_risk is True
    with pytest.raises(ValidationError):
        CompleteTask.model_validate({"result": body_of(result_model("screening"), {}, fixed={
            "kind": "screening"})})  # fmt: skip


def test_the_api_refusal_in_the_form_s_words() -> None:
    refusal = RefusedError(422, "invalid_request", "the request is invalid", [
        {"field": "result.screening.rag", "problem": "Field required"},
        {"field": "result.screening.exploitation", "problem": "Field required"},
        {"field": "result.screening.agencies", "problem": "List should have at least 1 item "
         "after validation, not 0"},
    ])  # fmt: skip
    shown = {e.name: e.text for e in task_errors(refusal, "screening")}
    assert shown == {
        "rag": "Select how urgent this contact is",
        "exploitation.risk": "Select the child's risk of exploitation",
        "agencies": "Select at least one agency to ask",
    }
    across = RefusedError(422, "invalid_request", "", [
        {"field": "result.screening", "problem": "Value error, a child at immediate risk is "
         "rated red"},
        {"field": "result.screening", "problem": "Value error, something else"},
    ])  # fmt: skip
    assert [(e.name, e.text) for e in task_errors(across, "screening")] == [
        ("rag", "RAG rating: a child at immediate risk is rated red"),
        ("", "Something else"),
    ]
    busy = task_errors(RefusedError(409, "conflict", "task t1 is held by sam", []), "visit")
    assert [(e.name, e.text) for e in busy] == [("", "task t1 is held by sam")]


def test_what_the_person_is_told_once_the_task_is_done() -> None:
    moved = notice("screening", "screening", {"stage": "checks"})
    assert moved == "Screening recorded: the case moved to agency checks"
    assert notice("decision", "decision", {"stage": "closed"}).endswith("the case is closed")
    assert "thank you" in notice("agency_check", None, {"stage": "checks"})


def test_every_kind_of_task_has_a_form_heading_with_its_acronyms_in_capitals() -> None:
    """The heading over a task's form says what is recorded, in words: "Record the MACE
    discussion", never "Record the mace discussion" or "Record the acknowledge the referrer"."""
    assert set(FORM_HEADINGS) == {kind.value for kind in TaskKind}
    acronyms = {w for label in KIND_LABELS.values() for w in label.split() if w.isupper()}
    assert {"MACE", "NRM", "MASH"} <= acronyms
    for kind in TaskKind:
        heading = label_of("TaskForm", kind.value)
        assert heading == FORM_HEADINGS[kind.value]
        assert heading.startswith("Record ") and heading[7:8].islower(), heading
        for acronym in acronyms:
            spelt = re.findall(rf"\b{acronym}\b", heading, re.I)
            assert all(w == acronym for w in spelt), heading
        # A label that is an instruction ("Acknowledge the referrer") is not made a noun.
        assert not re.search(r"Record the (acknowledge|tell)\b", heading), heading
    assert label_of("TaskForm", "mace") == "Record the MACE discussion"
    assert label_of("TaskForm", "nrm_referral") == "Record the NRM referral"
    assert label_of("TaskForm", "decision") == "Record the MASH decision"
    assert label_of("TaskForm", "acknowledgement") == "Record how the referrer was acknowledged"
