"""The forms of the later tasks (the referrer loop, the handover, the assessment and conference,
MACE, its actions and the NRM referral), rendered as the task page includes them: every field of
the task's result has an input named after its path, with a label and a hint; an error is shown
beside its field; a fresh form's instant starts at now, a form sent back keeps what was typed."""

from __future__ import annotations

import re
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from api.models.tasks import CompleteTask
from api.pages import templates
from api.workbench.calls import RefusedError
from api.workbench.forms import body_of, field_errors, field_id, local_input
from api.workbench.render import val, vals
from api.workbench.task_errors import task_errors
from domain.exploitation import (
    MACE_INVITEES,
    ExploitationRisk,
    MaceActionResult,
    MaceResult,
    NrmResult,
    NrmRoute,
)
from domain.steps import DecisionOutcome, StrategyOutcome
from domain.tasks import (
    AcknowledgementResult,
    AssessmentCompletedResult,
    AssessmentOutcome,
    ChildProtectionConferenceResult,
    ConferenceOutcome,
    ContactMethod,
    HandoverResult,
    ReferrerFeedbackResult,
    Section47Outcome,
    TaskKind,
)

FORMS: dict[TaskKind, type[BaseModel]] = {
    TaskKind.acknowledgement: AcknowledgementResult,
    TaskKind.referrer_feedback: ReferrerFeedbackResult,
    TaskKind.handover: HandoverResult,
    TaskKind.assessment_completed: AssessmentCompletedResult,
    TaskKind.child_protection_conference: ChildProtectionConferenceResult,
    TaskKind.mace: MaceResult,
    TaskKind.mace_action: MaceActionResult,
    TaskKind.nrm_referral: NrmResult,
}
ENUMS: tuple[type[StrEnum], ...] = (
    ContactMethod,
    AssessmentOutcome,
    Section47Outcome,
    ConferenceOutcome,
    ExploitationRisk,
    NrmRoute,
    DecisionOutcome,
    StrategyOutcome,
)
NOW = "2026-03-02T10:15"
PAGE = (
    '{% import "workbench/macros.html" as ui with context %}'
    '<form>{% include "workbench/tasks/" ~ task.kind ~ ".html" %}</form>'
)


class _Fields(HTMLParser):
    """The form's controls (name, id, type, value, checked), its labels' `for` and every id."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self._textarea: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.label_for.add(str(found["for"]))
        if tag in ("input", "textarea", "select") and found.get("name"):
            control = {**found, "tag": tag, "text": ""}
            self.controls.append(control)
            if tag == "textarea":
                self._textarea = control

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["text"] = str(self._textarea["text"]) + data


def render(
    kind: TaskKind,
    values: dict[str, Any] | None = None,
    errors_by: dict[str, str] | None = None,
    detail: dict[str, Any] | None = None,
) -> str:
    errors_by = errors_by or {}
    context = {
        "task": {
            "task_id": "3f2c6f3e-0000-4000-8000-000000000001",
            "referral_id": "3f2c6f3e-0000-4000-8000-000000000002",
            "kind": kind.value,
            "agency": None,
            "team": "practitioners",
            "status": "open",
            "due_at": "2026-03-06T17:00:00+00:00",
            "assignee": None,
            "escalation_level": 0,
            "overdue": False,
        },
        "detail": detail if detail is not None else {},
        "values": values if values is not None else {},
        "errors": [{"name": n, "text": t} for n, t in errors_by.items()],
        "errors_by": errors_by,
        "field_id": field_id,
        "val": val,
        "vals": vals,
        "local_time": local_input,
        "now_local": NOW,
        "csrf": "token",
        "choices": {
            enum.__name__: [(m.value, m.value.replace("_", " ").capitalize()) for m in enum]
            for enum in ENUMS
        },
    }
    return templates().from_string(PAGE).render(**context)


def fields_of(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    return parser


def paths(model: type[BaseModel]) -> list[str]:
    """The form field names a result takes: its fields, a list of objects as its first group."""
    schema = model.model_json_schema()
    names = []
    for name, prop in schema["properties"].items():
        if name == "kind":
            continue
        items = prop.get("items", {})
        if "$ref" in items:
            inner = schema["$defs"][items["$ref"].rsplit("/", 1)[-1]]
            names += [f"{name}.0.{sub}" for sub in inner["properties"]]
        else:
            names.append(name)
    return names


@pytest.mark.parametrize("kind", list(FORMS), ids=str)
def test_every_field_has_a_labelled_input_and_a_hint(kind: TaskKind) -> None:
    html = render(kind)
    form = fields_of(html)
    for name in paths(FORMS[kind]):
        named = [c for c in form.controls if c["name"] == name]
        assert named, f"{kind}: no input named {name}"
        for control in named:
            assert control["id"] in form.label_for, f"{kind}: {name} ({control['id']}) unlabelled"
        assert f"{field_id(name)}-hint" in form.ids, f"{kind}: {name} has no hint"
    # Nothing else is sent: every control is one of the result's fields.
    known = {n.split(".")[0] for n in paths(FORMS[kind])}
    assert {str(c["name"]).split(".")[0] for c in form.controls} <= known
    assert len(form.ids) == len(set(form.ids))


@pytest.mark.parametrize("kind", list(FORMS), ids=str)
def test_an_error_is_shown_beside_its_field(kind: TaskKind) -> None:
    names = paths(FORMS[kind])
    errors = {name: f"{name} is the problem here" for name in names}
    html = render(kind, values={}, errors_by=errors)
    for name in names:
        error = re.search(
            rf'<p id="{re.escape(field_id(name))}-error" class="govuk-error-message">(.*?)</p>',
            html,
            re.S,
        )
        assert error is not None and f"{name} is the problem here" in error.group(1), name


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (TaskKind.acknowledgement, "acknowledged_at"),
        (TaskKind.referrer_feedback, "told_at"),
        (TaskKind.handover, "accepted_at"),
        (TaskKind.assessment_completed, "completed_at"),
        (TaskKind.mace, "held_at"),
        (TaskKind.nrm_referral, "made_at"),
    ],
)
def test_when_it_happened_starts_at_now_on_a_fresh_form_only(kind: TaskKind, name: str) -> None:
    def value(html: str) -> str | None:
        return next(c["value"] for c in fields_of(html).controls if c["name"] == name)

    assert value(render(kind)) == NOW
    assert value(render(kind, values={name: ["2026-03-01T09:00"]})) == "2026-03-01T09:00"
    sent_back = render(kind, values={name: [""]}, errors_by={name: "Required"})
    assert value(sent_back) == ""


def test_a_conference_is_not_assumed_held() -> None:
    """The conference's date is only for a child at continuing risk: never filled in for one."""
    form = fields_of(render(TaskKind.child_protection_conference))
    assert next(c for c in form.controls if c["name"] == "held_at")["value"] == ""


def test_mace_attendees_sent_back_keep_the_invited_ticked_and_the_others_written() -> None:
    values = {
        "attendees": ["police", "childrens_social_care", "Youth worker\nHousing officer"],
        "actions.6.action": ["Visit the flat"],
    }
    form = fields_of(render(TaskKind.mace, values=values))
    ticked = {c["value"] for c in form.controls if c["name"] == "attendees" and "checked" in c}
    assert ticked == {"police", "childrens_social_care"}
    others = next(c for c in form.controls if c["tag"] == "textarea" and c["name"] == "attendees")
    assert str(others["text"]).split("\n") == ["Youth worker", "Housing officer"]
    # A seventh action sent back is shown with what was typed, not lost.
    action = next(c for c in form.controls if c["name"] == "actions.6.action")
    assert action["value"] == "Visit the flat"


def test_the_referrer_to_contact_and_the_action_due_are_shown() -> None:
    detail = {
        "intake": {"referrer": {"name": "Sam Teacher", "organisation": "Townham Primary",
                                "phone": "01632 960000", "email": None}},
        "case": {"outcome": "assessment", "strategy_outcome": None, "tasks": [
            {"kind": "mace", "result": {"actions": [
                {"action": "Warning notice", "owner": "Police", "due_on": "2026-03-06"},
                {"action": "School plan", "owner": "Education", "due_on": "2026-03-20"},
            ]}},
        ]},
    }  # fmt: skip
    ack = render(TaskKind.acknowledgement, detail=detail)
    assert "Sam Teacher" in ack and "01632 960000" in ack and "Townham Primary" in ack
    feedback = render(TaskKind.referrer_feedback, detail=detail)
    assert "Sam Teacher" in feedback and "Assessment" in feedback
    action = render(TaskKind.mace_action, detail=detail)
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", action, re.S)
    assert "Warning notice" in rows[1] and "This task" in rows[1] and "6 March 2026" in rows[1]
    assert "School plan" in rows[2] and "Another task" in rows[2]


FILLED: dict[TaskKind, dict[str, list[str]]] = {
    TaskKind.acknowledgement: {"method": ["phone"], "note": ["Left a message."]},
    TaskKind.referrer_feedback: {"method": ["email"], "note": [""]},
    TaskKind.handover: {"receiving_team": ["Assessment team 2"], "note": [""]},
    TaskKind.assessment_completed: {"outcome": ["early_help"], "summary": ["Support agreed."]},
    TaskKind.child_protection_conference: {
        "section_47_outcome": ["substantiated_at_risk"],
        "held_at": ["2026-03-02T14:00"],
        "conference_outcome": ["child_protection_plan"],
        "rationale": ["Continuing risk."],
    },
    TaskKind.mace: {
        "attendees": ["police", "childrens_social_care", "Youth worker\nHousing officer"],
        "risk": ["significant"],
        "plan": ["Disrupt contact with the older man."],
        "actions.0.action": ["Warning notice"],
        "actions.0.owner": ["Police"],
        "actions.0.due_on": ["2026-03-09"],
        "actions.1.action": [""],
        "actions.1.owner": [""],
        "actions.1.due_on": [""],
        "review_on": ["2026-04-01"],
    },
    TaskKind.mace_action: {"done": ["yes"], "done_on": ["2026-03-02"], "note": ["Served."]},
    TaskKind.nrm_referral: {
        "route": ["nrm_referral"],
        "reference": ["NRM-1"],
        "made_by": ["Mo Manager"],
    },
}


@pytest.mark.parametrize("kind", list(FORMS), ids=str)
def test_a_filled_form_is_the_tasks_result(kind: TaskKind) -> None:
    """What a person sends (the fresh form's instant kept) is a result the API takes."""
    model = FORMS[kind]
    shown = fields_of(render(kind))
    form = {
        str(c["name"]): [str(c["value"])]
        for c in shown.controls
        if c.get("type") == "datetime-local" and c["value"]
    }
    form.update(FILLED[kind])
    result = model.model_validate(body_of(model, form))
    assert result.model_dump()["kind"] == kind.value


@pytest.mark.parametrize("kind", list(FORMS), ids=str)
def test_what_a_blank_form_is_refused_for_lands_on_its_fields(kind: TaskKind) -> None:
    """The completion's 422 for a blank form, as the task page turns it into field errors: every
    error names a field this form shows."""
    model = FORMS[kind]
    with pytest.raises(ValidationError) as refused:
        CompleteTask.model_validate({"result": body_of(model, {})})
    details = [
        {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
        for e in refused.value.errors()
    ]
    names = {e.name for e in field_errors(details, strip=("result", kind.value))}
    ids = fields_of(render(kind)).ids
    assert names and all(field_id(name) in ids for name in names), names


def test_the_mace_form_offers_the_agencies_invited() -> None:
    """The attendees' checkboxes are the agencies the workflow invites, in its order."""
    form = fields_of(render(TaskKind.mace))
    offered = [c["value"] for c in form.controls if c["name"] == "attendees" and c.get("type")]
    assert tuple(offered) == MACE_INVITEES


BLANK: dict[TaskKind, dict[str, str]] = {
    TaskKind.acknowledgement: {
        "method": "Select how you reached the referrer",
        "acknowledged_at": "Enter when you let the referrer know",
    },
    TaskKind.referrer_feedback: {
        "method": "Select how you reached the referrer",
        "told_at": "Enter when you told the referrer",
    },
    TaskKind.handover: {
        "accepted_at": "Enter when the receiving team accepted the case",
        "receiving_team": "Enter the team that accepted the case",
    },
    TaskKind.assessment_completed: {
        "completed_at": "Enter when the assessment was completed",
        "outcome": "Select what the assessment concluded",
        "summary": "Enter a summary of the assessment",
    },
    TaskKind.child_protection_conference: {
        "section_47_outcome": "Select what the enquiry found",
        "rationale": "Enter the reasons",
    },
    TaskKind.mace: {
        "held_at": "Enter when the MACE discussion was held",
        "attendees": "Who took part: give at least 2",
        "risk": "Select the child's risk of exploitation now",
        "plan": "Enter the plan the agencies agreed",
        "review_on": "Enter when the MACE will review the plan",
    },
    TaskKind.mace_action: {
        "done": "Select whether the action was done",
        "note": "Enter what was done, or why it could not be done",
    },
    TaskKind.nrm_referral: {
        "route": "Select what was made",
        "made_at": "Enter when it was made",
        "reference": "Enter the reference the Home Office gave",
        "made_by": "Enter the name of who made it",
    },
}


def refused_for(kind: TaskKind, form: dict[str, list[str]]) -> dict[str, str]:
    """What the task page shows beside each field for the API's 422 on `form`."""
    model = FORMS[kind]
    with pytest.raises(ValidationError) as refused:
        CompleteTask.model_validate({"result": body_of(model, form)})
    details = [
        {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
        for e in refused.value.errors()
    ]
    err = RefusedError(422, "invalid_request", "the request is invalid", details)
    return {e.name: e.text for e in task_errors(err, kind.value)}


@pytest.mark.parametrize("kind", list(FORMS), ids=str)
def test_a_blank_form_is_refused_in_the_forms_own_words(kind: TaskKind) -> None:
    assert refused_for(kind, {}) == BLANK[kind]


def test_the_words_depend_on_the_kind_and_on_the_rule() -> None:
    # A decision's outcome is still the decision; an assessment's is what it concluded.
    decision = task_errors(
        RefusedError(422, "invalid_request", "", [
            {"field": "result.decision.outcome", "problem": "Field required"},
        ]), "decision",
    )  # fmt: skip
    assert [(e.name, e.text) for e in decision] == [("outcome", "Select the decision")]
    # An action done needs its date: asked for as a missing answer beside the date.
    done = {"done": ["yes"], "note": ["Served."]}
    assert refused_for(TaskKind.mace_action, done) == {"done_on": "Enter when the action was done"}
    # A disruption action half filled in: the missing parts beside that action's fields.
    mace = {**FILLED[TaskKind.mace], "held_at": [NOW], "actions.1.action": ["School plan"]}
    assert refused_for(TaskKind.mace, mace) == {
        "actions.1.owner": "Enter who owns the action",
        "actions.1.due_on": "Enter the date the action is to be done by",
    }


def test_pydantic_sizes_are_said_in_words() -> None:
    err = RefusedError(422, "invalid_request", "", [
        {"field": "result.mace.attendees", "problem": "List should have at least 2 items after "
         "validation, not 1"},
        {"field": "result.acknowledgement.note", "problem": "String should have at most 2000 "
         "characters"},
        {"field": "result.mace.actions", "problem": "List should have at most 30 items after "
         "validation, not 31"},
        {"field": "result.mace", "problem": "List should have at least 4 items after validation, "
         "not 0"},
    ])  # fmt: skip
    shown = [(e.name, e.text) for e in task_errors(err, "mace")]
    assert shown[0] == ("attendees", "Who took part: give at least 2")
    assert shown[2] == ("actions", "Actions: give at most 30")
    assert shown[3] == ("", "Give at least 4")
    note = task_errors(
        RefusedError(422, "invalid_request", "", err.details[1:2]), "acknowledgement"
    )
    assert [(e.name, e.text) for e in note] == [("note", "Note: use 2000 characters or fewer")]
