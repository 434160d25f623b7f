"""What people type is checked the same way everywhere (domain/inputs.py and the models on it):
Unicode normalised before validation, no text made of invisible characters, bounded list items,
strict booleans, and NHS numbers with a valid check digit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.referral import Child, HouseholdMember, nhs_check_digit_ok
from domain.tasks import TaskResult
from tests.workflows.driver import LIVED_EXPERIENCE

RESULT: TypeAdapter[Any] = TypeAdapter(TaskResult)
CHILD = {"name": "Sam Example", "date_of_birth": "2019-03-01", "address": "1 Example Street"}


def fields(err: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in err.value.errors()}


@pytest.mark.parametrize("number", ["9434765919", "4010232137", "943 476 5919", "943-476-5919"])
def test_valid_nhs_numbers_are_kept_as_ten_digits(number: str) -> None:
    assert Child.model_validate({**CHILD, "nhs_number": number}).nhs_number in {
        "9434765919",
        "4010232137",
    }


def test_full_width_digits_are_digits() -> None:
    full_width = "".join(chr(0xFF10 + int(d)) for d in "9434765919")
    assert Child.model_validate({**CHILD, "nhs_number": full_width}).nhs_number == "9434765919"


@pytest.mark.parametrize(
    "number",
    [
        "9434765918",  # wrong check digit
        "4857773456",  # wrong check digit
        "0000000010",  # remainder 1: check 10, never valid
        "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",  # Arabic-Indic digits
        "94347659190",
    ],
)
def test_invalid_nhs_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValidationError) as err:
        Child.model_validate({**CHILD, "nhs_number": number})
    assert fields(err) == {"nhs_number"}


def test_the_check_digit() -> None:
    assert nhs_check_digit_ok("9434765919") and not nhs_check_digit_ok("9434765910")


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u200d", "\u2060\ufeff", "\u00ad"])
def test_a_name_of_invisible_characters_is_refused(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        Child.model_validate({**CHILD, "name": name})
    assert fields(err) == {"name"}


def test_text_is_normalised_nfkc() -> None:
    assert Child.model_validate({**CHILD, "name": "\ufb01ona"}).name == "fiona"  # the ligature


@pytest.mark.parametrize("value", ["yes", "true", 1, "1"])
def test_booleans_are_strict(value: object) -> None:
    with pytest.raises(ValidationError) as err:
        HouseholdMember.model_validate(
            {"name": "Pat", "relationship": "mother", "parental_responsibility": value}
        )
    assert fields(err) == {"parental_responsibility"}


DECISION = {
    "kind": "decision",
    "outcome": "nfa",
    "rationale": "Below threshold.",
    "lived_experience": LIVED_EXPERIENCE,
}


@pytest.mark.parametrize(
    ("result", "field"),
    [
        ({**DECISION, "factors": ["x" * 501]}, "decision.factors.0"),
        ({**DECISION, "household_considered": ["x" * 201]}, "decision.household_considered.0"),
        ({**DECISION, "household_considered": ["\u200b"]}, "decision.household_considered"),
        ({**DECISION, "exploitation": {"risk": "none", "rationale": "None seen.",
                                        "other_indicators": ["y" * 200_000]}},
         "decision.exploitation.other_indicators.0"),
        ({"kind": "agency_check", "known_to_agency": True, "information": "Known.",
          "responder_name": "PC", "risk_indicators": ["z" * 501]},
         "agency_check.risk_indicators.0"),
        ({"kind": "agency_check", "known_to_agency": "yes", "information": "Known.",
          "responder_name": "PC"}, "agency_check.known_to_agency"),
        ({"kind": "strategy_discussion", "held_at": datetime.now(UTC).isoformat(),
          "attendees": ["police", "health", "childrens_social_care", "a" * 201],
          "outcome": "section_47", "rationale": "Met."}, "strategy_discussion.attendees.3"),
    ],
)  # fmt: skip
def test_every_list_item_is_bounded(result: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        RESULT.validate_python(result)
    assert field in fields(err)
