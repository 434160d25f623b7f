"""What the task page (api/workbench/task_pages.py) knows of each kind of task: the result model
a kind's form fills (read off domain.tasks.TaskResult's members, by their `kind`), the form's
field paths (where the API's 422 lands), the words for every code a result uses (`choices`, one
list of (value, label) per enum, collected from the result models themselves), and what to say
once a task is done.

Nothing here decides what is valid: the API does, and the page shows what it says.
"""

from __future__ import annotations

import inspect
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel

from api.workbench.case_text import DEADLINES, KINDS
from api.workbench.case_text import time_left as case_time_left
from api.workbench.managers_text import day, when
from domain.tasks import TaskResult

# What each kind of task is called on its page and in the notice once it is done: the one
# vocabulary of the workbench (api/workbench/case_text.py).
KIND_LABELS: dict[str, str] = KINDS

# The heading over each kind's form on the task page: what the person records, in words (MACE
# and NRM in capitals, the referrer's acknowledgement as what happened). The page shows it as
# `label_of("TaskForm", kind)`.
FORM_HEADINGS: dict[str, str] = {
    "screening": "Record the screening",
    "agency_check": "Record your agency's check",
    "decision": "Record the MASH decision",
    "referral_decision": "Record the referral decision",
    "strategy_discussion": "Record the strategy discussion",
    "visit": "Record the visit",
    "police_welfare_check": "Record the police welfare check",
    "review_new_information": "Record the review of the new information",
    "acknowledgement": "Record how the referrer was acknowledged",
    "referrer_feedback": "Record how the referrer was told the outcome",
    "handover": "Record the handover to the receiving team",
    "assessment_completed": "Record the completed assessment",
    "child_protection_conference": "Record the section 47 enquiry and conference",
    "mace": "Record the MACE discussion",
    "mace_action": "Record the MACE disruption action",
    "nrm_referral": "Record the NRM referral",
}

STAGE_LABELS: dict[str, str] = {
    "screening": "screening",
    "checks": "agency checks",
    "decision": "the MASH decision",
    "strategy_discussion": "the strategy discussion",
    "visit": "the visit",
    "handover": "handover to the receiving team",
    "closed": "closed",
}

DEADLINE_LABELS: dict[str, str] = DEADLINES

# Words for codes where the code itself does not read well; any other code is shown as itself
# in words ("in_person" -> "In person").
_LABELS: dict[str, dict[str, str]] = {
    "Rag": {
        "red": "Red: the child may be at risk of significant harm now",
        "amber": "Amber: concerns that need checks and a decision soon",
        "green": "Green: lower concern",
    },
    "Agency": {
        "csc_records": "Children's social care records",
        "adult_social_care": "Adult social care",
        "early_help": "Early help",
    },
    "DecisionOutcome": {
        "nfa": "No further action",
        "advice": "Advice and information",
        "early_help": "Early help",
        "referral": "A referral to children's social care (the response is decided next)",
        "assessment": "A child and family assessment",
        "strategy_discussion": "A strategy discussion (section 47)",
        "immediate_protection": "Immediate protection",
        "step_down": "Step down to early help",
    },
    "StrategyOutcome": {
        "section_47": "A section 47 enquiry",
        "assessment": "A child and family assessment",
        "nfa": "No further action",
    },
    "NotSeenReason": {
        "no_access": "No access: nobody answered or let us in",
        "refused": "Refused: the family would not let us see the child",
        "not_at_address": "The child was not at the address",
    },
    "ContactMethod": {"secure_message": "Secure message", "in_person": "In person"},
    "AssessmentOutcome": {
        "nfa": "No further action",
        "child_in_need_plan": "Child in need plan",
        "child_protection_enquiry": "Child protection enquiry (section 47)",
    },
    "Section47Outcome": {
        "not_substantiated": "Concerns not substantiated",
        "substantiated_not_at_risk": "Substantiated, but the child is not at continuing risk",
        "substantiated_at_risk": "Substantiated: the child is at continuing risk of significant "
        "harm",
    },
    "ExploitationRisk": {
        "none": "None seen",
        "emerging": "Emerging: early signs to watch",
        "significant": "Significant: a MACE discussion is needed",
        "experiencing": "Experiencing exploitation now",
    },
    "ExploitationIndicator": {
        "going_missing": "Going missing from home, care or school",
        "money_or_gifts": "Unexplained money, gifts or new possessions",
        "older_associates": "Older associates or controlling relationships",
        "substance_use": "Substance use",
        "county_lines": "County lines or drug running",
        "sexual_health": "Sexual health concerns",
        "school_exclusion": "Exclusion or absence from education",
        "online_contact": "Online contact or image sharing",
        "unexplained_injuries": "Unexplained injuries",
        "trafficking_or_modern_slavery": "Trafficking or modern slavery",
    },
    "NrmRoute": {
        "nrm_referral": "An NRM referral",
        "duty_to_notify": "The duty to notify the Home Office",
    },
}


def words(code: str | None) -> str:
    """A code in words: "in_person" -> "In person"."""
    text = (code or "").replace("_", " ")
    return text[:1].upper() + text[1:]


@cache
def result_models() -> dict[str, type[BaseModel]]:
    """The result model of each kind of task, from TaskResult's members."""
    union = get_args(TaskResult)[0]
    models: dict[str, type[BaseModel]] = {}
    for member in get_args(union):
        models[str(member.model_fields["kind"].default)] = member
    return models


def result_model(kind: str) -> type[BaseModel]:
    return result_models()[kind]


def _enums_in(annotation: Any, found: dict[str, type[StrEnum]], seen: set[type]) -> None:
    if inspect.isclass(annotation):
        if issubclass(annotation, StrEnum):
            found.setdefault(annotation.__name__, annotation)
            return
        if issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            for field in annotation.model_fields.values():
                _enums_in(field.annotation, found, seen)
            return
    for arg in get_args(annotation):
        _enums_in(arg, found, seen)


@cache
def _choices() -> dict[str, tuple[tuple[str, str], ...]]:
    found: dict[str, type[StrEnum]] = {}
    seen: set[type] = set()
    for model in result_models().values():
        _enums_in(model, found, seen)
    return {
        name: tuple((m.value, _LABELS.get(name, {}).get(m.value, words(m.value))) for m in enum)
        for name, enum in found.items()
    }


def choices() -> dict[str, list[tuple[str, str]]]:
    """Every enum the results use, by name: its (value, label) pairs, in the enum's order."""
    return {name: list(items) for name, items in _choices().items()}


def label_of(enum: str, value: str | None) -> str:
    """A code's words (as the forms offer it); for "TaskForm", a kind's form heading."""
    if value is None:
        return ""
    if enum == "TaskForm":
        return FORM_HEADINGS.get(str(value), f"Record the {words(str(value)).lower()}")
    return dict(_choices().get(enum, ())).get(value, words(str(value)))


def _paths(schema: dict[str, Any], defs: dict[str, Any], prefix: str, out: set[str]) -> None:
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        out.add(path)
        target = _deref(prop, defs)
        if "properties" in target:
            _paths(target, defs, f"{path}.", out)
        items = _deref(target.get("items", {}), defs)
        if "properties" in items:
            for i in range(int(target.get("maxItems", 30))):
                _paths(items, defs, f"{path}.{i}.", out)


def _deref(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        return dict(defs[prop["$ref"].rsplit("/", 1)[-1]])
    options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        return _deref(options[0], defs)
    return prop


@cache
def _field_paths(kind: str) -> frozenset[str]:
    schema = result_model(kind).model_json_schema()
    out: set[str] = set()
    _paths(schema, schema.get("$defs", {}), "", out)
    out.discard("kind")
    return frozenset(out)


def field_paths(kind: str) -> set[str]:
    """The form's field names for a kind: its result's field paths (`exploitation.risk`)."""
    return set(_field_paths(kind))


def leaf_of(kind: str, name: str) -> str:
    """Where an error on `name` is shown: an object's first field (a whole exploitation
    screening missing is shown at its risk), else `name` itself."""
    paths = _field_paths(kind)
    if not any(p.startswith(f"{name}.") for p in paths):
        return name
    schema = result_model(kind).model_json_schema()
    defs = schema.get("$defs", {})
    prop: dict[str, Any] = schema
    for part in name.split("."):
        prop = _deref(prop.get("properties", {}).get(part, {}), defs)
    first_field = next(iter(prop.get("properties", {})), "")
    return f"{name}.{first_field}" if first_field else name


def notice(kind: str, before: str | None, answer: dict[str, Any]) -> str:
    """What the person is told once the task is done: what was recorded and where the case
    went."""
    what = f"{KIND_LABELS.get(kind, words(kind))} recorded"
    stage = str(answer.get("stage") or "")
    if before is None:  # a partner: the case is not theirs to follow
        return f"{what}: thank you, the front door has your answer"
    if stage == "closed":
        return f"{what}: the case is closed"
    where = STAGE_LABELS.get(stage, words(stage))
    if stage != before:
        return f"{what}: the case moved to {where}"
    return f"{what}: the case is at {where}"


def when_text(value: str | datetime | None) -> str:
    """An instant in London time, as every workbench page says it ("Thu 3 Dec 2026, 05:20")."""
    return when(value)


def date_text(value: str | date | None) -> str:
    """A date, as every workbench page says it ("1 Mar 2019")."""
    return day(value)


def time_left(value: str | datetime | None, now: datetime) -> str:
    """How long until (or since) a due time, in words (as the inbox and the case page say it)."""
    return case_time_left(value, now) if value else ""
