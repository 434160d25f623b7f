"""Bodies and answers of the people routes (person search, a person's record, a screener's match
decision) and the people parts of other answers: a case's siblings, the household on a partner's
check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from api.models.tasks import PartnerTaskDetail, SiblingCase, StaffTaskDetail
from api.record import CaseRecordView
from domain.inputs import InputModel, ShortItem
from domain.people import AddressEntry, MatchDecision, PersonKind, RelationshipKind


class PersonQuery(InputModel):
    """Whom to look for: sent in the body, never in the URL (it is personal data)."""

    name: str = Field(min_length=1, max_length=200)
    aliases: list[ShortItem] = Field(default_factory=list, max_length=10)
    date_of_birth: date | None = None
    age_estimate_years: int | None = Field(default=None, ge=0, le=120)
    expected_due_date: date | None = None
    address: str | None = Field(default=None, min_length=1, max_length=500)
    nhs_number: str | None = Field(default=None, pattern=r"^[0-9]{10}$")
    limit: int = Field(default=5, ge=1, le=20)


class CaseLink(BaseModel):
    """A case a person is in: its id, the person's role in it, and its stage now."""

    referral_id: UUID
    role: str
    stage: str | None


class PersonView(BaseModel):
    """A person's record as council staff read it."""

    person_id: UUID
    kind: PersonKind
    name: str
    aliases: list[str]
    date_of_birth: date | None
    birth_year_estimate: int | None
    unborn: bool
    expected_due_date: date | None
    gender: str | None
    ethnicity: str | None
    first_language: str | None
    addresses: list[AddressEntry]
    nhs_number: str | None
    cases: list[CaseLink]


class Candidate(BaseModel):
    """A person who may be the one searched for, how close (0 to 1) and why."""

    score: float
    reasons: list[str]
    person: PersonView


class SearchAnswer(BaseModel):
    candidates: list[Candidate]


class MatchBody(InputModel):
    """The screener's decision: `candidate_id` is (confirmed) or is not (rejected) the same
    person as the one in the path."""

    candidate_id: UUID
    decision: MatchDecision
    score: float | None = Field(default=None, ge=0, le=1)


class MatchView(BaseModel):
    candidate_id: UUID
    decision: MatchDecision
    score: float | None
    decided_by: str
    decided_at: datetime


class Relative(BaseModel):
    person_id: UUID
    kind: RelationshipKind


class PersonPage(BaseModel):
    """A person's record, the people related to them and every match decision on it."""

    person: PersonView
    relatives: list[Relative]
    matches: list[MatchView]


class ReferralCaseView(CaseRecordView):
    """The case page: the case, and the cases of the child's siblings."""

    siblings: list[SiblingCase] = Field(default_factory=list)


class HouseholdPerson(BaseModel):
    """What a partner's record search needs of someone in the child's household, and no more."""

    name: str
    aliases: list[str]
    date_of_birth: date | None
    age_estimate_years: int | None
    address: str


class PartnerCheckDetail(PartnerTaskDetail):
    """A partner's task; on an agency check, the household members to search for too."""

    household: list[HouseholdPerson] = Field(default_factory=list)


TaskDetailWithHousehold = Annotated[
    PartnerCheckDetail | StaffTaskDetail, Field(discriminator="view")
]
