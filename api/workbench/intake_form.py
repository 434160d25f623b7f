"""The intake form's parts (api/workbench/intake.py): the words for the domain's codes, how many
child and household groups to show, the open cases the API named (kept in the form between
submissions), and the API's refusals as errors beside the form's fields in plain words.

The rules stay the API's: nothing here decides what is valid, only where and how to say it.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from api.models.intake import MAX_CHILDREN
from api.workbench.calls import RefusedError
from api.workbench.case_text import stage_text
from api.workbench.forms import FieldError, Form, first
from domain.people import Ethnicity, Gender
from domain.referral import ConcernCategory, Consent, ReferralSource

CHILD_GROUPS = 3
MEMBER_GROUPS = 2
MAX_MEMBERS = 30

# The Children in Need census's own words for its referral-source codes.
SOURCES: dict[ReferralSource, str] = {
    ReferralSource.individual_family: "Individual: family member, relative or carer",
    ReferralSource.individual_relative: "Individual: acquaintance (including neighbours)",
    ReferralSource.individual_self: "Individual: the child themselves",
    ReferralSource.individual_other: "Individual: other (including strangers)",
    ReferralSource.schools: "Schools",
    ReferralSource.education_services: "Education services",
    ReferralSource.gp: "Health services: GP",
    ReferralSource.health_visitor: "Health services: health visitor",
    ReferralSource.school_nurse: "Health services: school nurse",
    ReferralSource.other_primary_health: "Health services: other primary health services",
    ReferralSource.a_and_e: "Health services: A&E",
    ReferralSource.other_health: "Health services: other",
    ReferralSource.housing: "Housing",
    ReferralSource.la_social_care: "Local authority: social care",
    ReferralSource.la_other_department: "Local authority: another department",
    ReferralSource.la_external: "Local authority: another council",
    ReferralSource.la_other: "Local authority: other",
    ReferralSource.police: "Police",
    ReferralSource.other_legal_agency: "Other legal agency",
    ReferralSource.other: "Other",
    ReferralSource.anonymous: "Anonymous",
    ReferralSource.unknown: "Unknown",
}

CATEGORIES: dict[ConcernCategory, str] = {
    ConcernCategory.neglect: "Neglect",
    ConcernCategory.emotional_abuse: "Emotional abuse",
    ConcernCategory.physical_abuse: "Physical abuse",
    ConcernCategory.sexual_abuse: "Sexual abuse",
    ConcernCategory.domestic_abuse: "Domestic abuse",
    ConcernCategory.child_sexual_exploitation: "Child sexual exploitation",
    ConcernCategory.child_criminal_exploitation: "Child criminal exploitation",
    ConcernCategory.gangs: "Gangs",
    ConcernCategory.trafficking: "Trafficking",
    ConcernCategory.missing: "Missing from home, care or education",
    ConcernCategory.fgm: "Female genital mutilation (FGM)",
    ConcernCategory.parental_mental_health: "A parent's mental health",
    ConcernCategory.parental_substance_misuse: "A parent's drug or alcohol use",
    ConcernCategory.other: "Something else",
}

CONSENTS: dict[Consent, str] = {
    Consent.given: "Given: the parents know of the referral and agree to it",
    Consent.refused: "Refused",
    Consent.not_sought: "Not sought",
}

GENDERS: dict[Gender, str] = {
    Gender.male: "Male",
    Gender.female: "Female",
    Gender.not_known: "Not known",
    Gender.not_specified: "Not specified",
}

ETHNICITIES: dict[Ethnicity, str] = {
    Ethnicity.white_british: "White: British",
    Ethnicity.white_irish: "White: Irish",
    Ethnicity.white_irish_traveller: "White: Traveller of Irish heritage",
    Ethnicity.white_roma: "White: Gypsy or Roma",
    Ethnicity.white_other: "White: any other White background",
    Ethnicity.mixed_white_black_caribbean: "Mixed: White and Black Caribbean",
    Ethnicity.mixed_white_black_african: "Mixed: White and Black African",
    Ethnicity.mixed_white_asian: "Mixed: White and Asian",
    Ethnicity.mixed_other: "Mixed: any other mixed background",
    Ethnicity.asian_indian: "Asian or Asian British: Indian",
    Ethnicity.asian_pakistani: "Asian or Asian British: Pakistani",
    Ethnicity.asian_bangladeshi: "Asian or Asian British: Bangladeshi",
    Ethnicity.asian_other: "Asian or Asian British: any other Asian background",
    Ethnicity.black_caribbean: "Black or Black British: Caribbean",
    Ethnicity.black_african: "Black or Black British: African",
    Ethnicity.black_other: "Black or Black British: any other Black background",
    Ethnicity.chinese: "Chinese",
    Ethnicity.other: "Any other ethnic group",
    Ethnicity.refused: "Refused to say",
    Ethnicity.not_obtained: "Information not yet obtained",
}


def choices(words: dict[Any, str], *, codes: bool = False) -> list[tuple[str, str]]:
    """(value, text) pairs for a select, radios or checkboxes."""
    return [(k.value, f"{k.value}: {text}" if codes else text) for k, text in words.items()]


def stage_words(stage: str | None) -> str:
    """A case's stage in the workbench's words (a case just made has none yet)."""
    return stage_text(stage) if stage else "Being registered"


def _indices(form: Form, prefix: str) -> list[int]:
    return sorted(
        {int(m.group(1)) for name in form if (m := re.match(rf"{prefix}\.(\d+)\.", name))}
    )


def _shown(form: Form, name: str) -> int:
    raw = first(form, name)
    return int(raw) if raw.isdigit() else 0


def group_counts(form: Form, *, adding: str = "") -> tuple[int, int]:
    """How many child and household groups to show: as many as were shown (or sent), at least
    the default, one more of the kind being added, never more than the API takes."""
    children = max(
        CHILD_GROUPS, _shown(form, "children_shown"), *[i + 1 for i in _indices(form, "children")]
    )
    members = max(
        MEMBER_GROUPS,
        _shown(form, "household_shown"),
        *[i + 1 for i in _indices(form, "household")],
    )
    children += adding == "child"
    members += adding == "person"
    return min(children, MAX_CHILDREN), min(members, MAX_MEMBERS)


def child_given(form: Form, index: int) -> bool:
    """Whether anything was typed for child `index` (a blank group is left out)."""
    prefix = f"children.{index}."
    return any(
        name.startswith(prefix) and any(v.strip() for v in values) for name, values in form.items()
    )


# The open cases a child may already have (the API's 409 `open_case`), carried in the form as
# hidden `open_case.N` fields so the choice stays on the page until the contact is taken in.


@dataclass(frozen=True)
class OpenCase:
    referral_id: str
    stage: str | None
    reasons: list[str]

    @property
    def hidden(self) -> str:
        return json.dumps(
            {"referral_id": self.referral_id, "stage": self.stage, "reasons": self.reasons}
        )


def _open_case(raw: dict[str, Any]) -> OpenCase | None:
    try:
        referral_id = str(uuid.UUID(str(raw["referral_id"])))
    except (KeyError, ValueError, TypeError):
        return None
    stage = raw.get("stage")
    reasons = raw.get("reasons") or []
    return OpenCase(
        referral_id,
        str(stage)[:40] if stage else None,
        [str(r)[:200] for r in reasons[:10]] if isinstance(reasons, list) else [],
    )


def open_cases_in(form: Form) -> dict[int, list[OpenCase]]:
    """The open cases named by an earlier answer, as the form carried them."""
    found: dict[int, list[OpenCase]] = {}
    for name, values in form.items():
        m = re.fullmatch(r"open_case\.(\d+)", name)
        if not m:
            continue
        for value in values[:10]:
            try:
                case = _open_case(json.loads(value))
            except (ValueError, TypeError, AttributeError):
                case = None
            if case:
                found.setdefault(int(m.group(1)), []).append(case)
    return found


def open_cases_of(err: RefusedError) -> dict[int, list[OpenCase]]:
    """The open cases of a 409 `open_case`, per child of the form."""
    found: dict[int, list[OpenCase]] = {}
    for detail in err.details:
        m = re.fullmatch(r"children\.(\d+)", str(detail.get("field", "")))
        case = _open_case(detail)
        if m and case:
            found.setdefault(int(m.group(1)), []).append(case)
    return found


def choices_made(form: Form) -> Form:
    """The form as the API takes it: the open-case choice is a radio (a case's id, or `new`), so
    a new case sends its reason only, and adding to a case sends the case only."""
    out = {k: v for k, v in form.items() if not k.startswith("open_case.")}
    for name in list(out):
        m = re.fullmatch(r"children\.(\d+)\.add_to_case", name)
        if not m:
            continue
        if first(out, name) == "new":
            del out[name]
        elif first(out, name):
            out.pop(f"children.{m.group(1)}.new_case_reason", None)
    return out


# Errors beside the fields, in words.

_FIELD_WORDS = {
    "received_at": "When the contact was received",
    "source": "Who made the contact (source)",
    "referrer.name": "The referrer's name",
    "referrer.organisation": "The referrer's organisation",
    "referrer.phone": "The referrer's phone number",
    "referrer.email": "The referrer's email address",
    "concern": "The concern",
    "categories": "Categories of concern",
    "consent": "Parental consent",
    "consent_reason": "Why consent was refused or not sought",
}
_PART_WORDS = {
    "name": "full name",
    "aliases": "other names",
    "date_of_birth": "date of birth",
    "age_estimate_years": "age estimate",
    "unborn": "not born yet",
    "expected_due_date": "expected due date",
    "gender": "gender",
    "ethnicity": "ethnicity",
    "first_language": "first language",
    "address": "address",
    "nhs_number": "NHS number",
    "relationship": "relationship to the child",
    "parental_responsibility": "parental responsibility",
    "add_to_case": "open case",
    "new_case_reason": "reason for a new case",
}


def place(name: str, text: str) -> str:
    """The form field an error belongs beside (a problem with a whole group or object is put
    on the field its message names, or the group's first field)."""
    if name in ("", "body"):
        return ""
    if name == "children":
        return "children.0.name"
    if name == "referrer":
        return "referrer.name"
    if re.fullmatch(r"(children|household)\.(\d+)", name):
        for part in ("date_of_birth", "age_estimate_years", "expected_due_date", "add_to_case"):
            if part in text or _PART_WORDS[part] in text:
                return f"{name}.{part}"
        return f"{name}.name"
    if re.fullmatch(r"(children|household)\.(\d+)\.aliases\.\d+", name):
        return name.rsplit(".", 1)[0]
    if re.fullmatch(r"categories\.\d+", name):
        return "categories"
    return name


def words_for(name: str) -> str:
    if name in _FIELD_WORDS:
        return _FIELD_WORDS[name]
    if m := re.fullmatch(r"(children|household)\.(\d+)\.(\w+)", name):
        who = "Child" if m.group(1) == "children" else "Person"
        return f"{who} {int(m.group(2)) + 1}: {_PART_WORDS.get(m.group(3), m.group(3))}"
    return name.replace("_", " ").replace(".", " ")


# Pydantic's own wording of a few checks, in a screener's words (the check stays the API's).
_PLAIN = [
    (r"^List should have at least 1 item.*", "choose at least one"),
    (r"^Input should be a valid date.*", "must be a real date"),
    (r"^Input should be a valid datetime.*", "must be a real date and time"),
    (r"^Input should be a valid integer.*", "must be a whole number"),
    (r"^Input should be less than or equal to (\d+)$", r"must be \1 or less"),
    (r"^Input should be greater than or equal to (\d+)$", r"must be \1 or more"),
    (r"^String should have at most (\d+) characters?$", r"must be \1 characters or fewer"),
    (r"^String should match pattern '\^\[0-9\]\{10\}\$'$", "must be 10 digits"),
    (r"^String should match pattern '\^\[A-Z\]\{3,4\}\$'$", "must be a census code like ENG"),
    (
        r"^String should match pattern '\^\[\^@.*$",
        "must be an email address",
    ),
]


def plain(text: str) -> str:
    for pattern, words in _PLAIN:
        if re.match(pattern, text):
            return re.sub(pattern, words, text)
    return text


def intake_errors(err: RefusedError) -> list[FieldError]:
    """The API's refusal as errors beside the fields (or on the form as a whole)."""
    fielded = [d for d in err.details if "field" in d and "problem" in d]
    if not fielded:
        return [FieldError("", err.message)]
    errors = []
    for detail in fielded:
        text = plain(re.sub(r"^(Value|Assertion) error, ", "", str(detail["problem"])))
        name = place(str(detail["field"]), text)
        if detail["field"] == "children":  # neither `child` nor `children`: none was typed
            errors.append(FieldError(name, "Give the details of at least one child"))
        elif not name:
            errors.append(FieldError("", text[:1].upper() + text[1:]))
        elif text == "Field required":
            errors.append(FieldError(name, f"{words_for(name)} is required"))
        else:
            errors.append(FieldError(name, f"{words_for(name)}: {text}"))
    return errors
