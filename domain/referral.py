"""What is recorded when a referral arrives: the referrer, the child, the household, the concern.

These models hold personal data. They travel in the workflow's input (its history) and to the
API; never into workflow ids, search attributes or logs.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import Field, StrictBool, field_validator, model_validator

from domain.case import CarriedCase
from domain.editions import DEFAULT_POLICY_VERSION
from domain.inputs import InputModel, ShortItem
from domain.people import LANGUAGE_CODE, Ethnicity, Gender


class ReferralSource(StrEnum):
    """The Children in Need census referral-source codes."""

    individual_family = "1A"
    individual_relative = "1B"
    individual_self = "1C"
    individual_other = "1D"
    schools = "2A"
    education_services = "2B"
    gp = "3A"
    health_visitor = "3B"
    school_nurse = "3C"
    other_primary_health = "3D"
    a_and_e = "3E"
    other_health = "3F"
    housing = "4"
    la_social_care = "5A"
    la_other_department = "5B"
    la_external = "5C"
    la_other = "5D"
    police = "6"
    other_legal_agency = "7"
    other = "8"
    anonymous = "9"
    unknown = "10"


class ConcernCategory(StrEnum):
    """Categories of concern named at intake."""

    neglect = "neglect"
    emotional_abuse = "emotional_abuse"
    physical_abuse = "physical_abuse"
    sexual_abuse = "sexual_abuse"
    domestic_abuse = "domestic_abuse"
    child_sexual_exploitation = "child_sexual_exploitation"
    child_criminal_exploitation = "child_criminal_exploitation"
    gangs = "gangs"
    trafficking = "trafficking"
    missing = "missing"
    fgm = "fgm"
    parental_mental_health = "parental_mental_health"
    parental_substance_misuse = "parental_substance_misuse"
    other = "other"


class Consent(StrEnum):
    """Whether the parents know of and agree to the referral and checks."""

    given = "given"
    refused = "refused"
    not_sought = "not_sought"


class Referrer(InputModel):
    """Who made the referral and how to reach them. Every field may be left out, for an
    anonymous referrer (source 9) only: the API refuses an intake from anyone else without a name
    and a phone number or email address (api/intake_checks.py), naming the field, since the rule
    spans the referrer and the source."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")


MAX_AGE_ESTIMATE = 25
"""An age estimate is of a child (or a care leaver); an adult's may be up to 120."""


class Child(InputModel):
    """The child the referral is about: born (a date of birth, or an age estimate when nobody
    knows it), or unborn (`unborn`, with the expected due date when known; a due date alone also
    says unborn)."""

    name: str = Field(min_length=1, max_length=200)
    aliases: list[ShortItem] = Field(default_factory=list, max_length=10)
    date_of_birth: date | None = None
    age_estimate_years: int | None = Field(default=None, ge=0, le=MAX_AGE_ESTIMATE)
    unborn: StrictBool = False
    expected_due_date: date | None = None
    gender: Gender | None = None
    ethnicity: Ethnicity | None = None
    first_language: str | None = Field(default=None, pattern=LANGUAGE_CODE)
    address: str = Field(min_length=1, max_length=500)
    # ASCII digits only (full-width ones are made ASCII by NFKC first; other scripts' digits
    # are refused), with a valid check digit.
    nhs_number: str | None = Field(default=None, pattern=r"^[0-9]{10}$")

    @field_validator("nhs_number", mode="before")
    @classmethod
    def _digits_only(cls, value: object) -> object:
        if isinstance(value, str):
            return re.sub(r"[\s-]", "", value) or None
        return value

    @field_validator("nhs_number")
    @classmethod
    def _check_digit(cls, value: str | None) -> str | None:
        if value is not None and not nhs_check_digit_ok(value):
            raise ValueError("is not a valid NHS number (its check digit does not match)")
        return value

    @model_validator(mode="after")
    def _born_or_expected(self) -> Self:
        born = self.date_of_birth is not None or self.age_estimate_years is not None
        if self.is_unborn and born:
            raise ValueError(
                "an unborn child has no date of birth or age: give the expected due date if known"
            )
        if self.date_of_birth is not None and self.age_estimate_years is not None:
            raise ValueError("give the date of birth or an age estimate, not both")
        if not self.is_unborn and not born:
            raise ValueError(
                "give the child's date of birth, an age estimate (age_estimate_years) when it is "
                "not known, or unborn: true (with expected_due_date when known)"
            )
        return self

    @property
    def is_unborn(self) -> bool:
        return self.unborn or self.expected_due_date is not None


class HouseholdMember(InputModel):
    """Someone in the child's household, or with parental responsibility. `address` is where
    they live when it is not the child's address. Partners checking the household see the name,
    date of birth (or age) and address."""

    name: str = Field(min_length=1, max_length=200)
    relationship: str = Field(min_length=1, max_length=100)
    parental_responsibility: StrictBool = False
    aliases: list[ShortItem] = Field(default_factory=list, max_length=10)
    date_of_birth: date | None = None
    age_estimate_years: int | None = Field(default=None, ge=0, le=120)
    gender: Gender | None = None
    address: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_age(self) -> Self:
        if self.date_of_birth is not None and self.age_estimate_years is not None:
            raise ValueError("give the date of birth or an age estimate, not both")
        return self


class ReferralDetails(InputModel):
    """Everything taken in at intake."""

    received_at: datetime
    source: ReferralSource
    referrer: Referrer
    child: Child
    household: list[HouseholdMember] = Field(default_factory=list, max_length=30)
    concern: str = Field(min_length=1, max_length=20_000)
    categories: list[ConcernCategory] = Field(min_length=1, max_length=len(ConcernCategory))
    consent: Consent
    consent_reason: str | None = Field(default=None, max_length=2_000)
    # Why a new case was opened for a child who already has an open case (the screener's words).
    new_case_reason: str | None = Field(default=None, max_length=2_000)

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must include a timezone offset")
        return value

    @model_validator(mode="after")
    def _consent_reason(self) -> Self:
        if self.consent is not Consent.given and not self.consent_reason:
            raise ValueError("say why parental consent was refused or not sought (consent_reason)")
        return self

    @property
    def referrer_reachable(self) -> bool:
        """Whether the front door can acknowledge the referrer and tell them the outcome (an
        anonymous referrer, or one who left no phone or email, cannot be told)."""
        return bool(self.referrer.phone or self.referrer.email)


class ReferralInput(InputModel):
    """The input of a referral workflow. The policy version is fixed for the life of the case."""

    referral_id: UUID
    policy_version: str = DEFAULT_POLICY_VERSION
    details: ReferralDetails
    # When the system took the contact in (set by the API, never by the caller).
    recorded_at: datetime | None = None
    # Set when a run continues as new: the case as the last run left it.
    carried: CarriedCase | None = None

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.referral_id)


def nhs_check_digit_ok(number: str) -> bool:
    """The NHS number's modulus 11 check: the first nine digits weighted 10 down to 2; the
    check digit is 11 minus the remainder (11 is 0; 10 means no valid number)."""
    total = sum(
        int(digit) * weight for digit, weight in zip(number[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(number[9])


def workflow_id_for(referral_id: UUID) -> str:
    """The workflow id of a referral: no personal data, ever."""
    return f"referral-{referral_id}"


def child_match_value(child: Child) -> str | None:
    """The child's normalised name and date of birth (or expected due date), the value whose
    keyed identifier finds earlier referrals of the same child; None without a date."""
    born = child.date_of_birth or child.expected_due_date
    if born is None:
        return None
    folded = unicodedata.normalize("NFKD", child.name).encode("ascii", "ignore").decode()
    name = " ".join(re.sub(r"[^a-z ]", " ", folded.lower()).split())
    return f"{name}|{born.isoformat()}"
