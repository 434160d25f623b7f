"""The body of an intake (one child, or a family's children, and the adults around them) and
its answer (every case it made or added to)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from domain.inputs import InputModel
from domain.referral import (
    Child,
    ConcernCategory,
    Consent,
    HouseholdMember,
    ReferralDetails,
    ReferralSource,
    Referrer,
)

MAX_CHILDREN = 12


class IntakeChild(Child):
    """A child of the intake, and, when the API answered that the child may already have an
    open case (409 `open_case`), what the screener chose: `add_to_case` (that case's id: the
    contact goes to it as new information) or `new_case_reason` (a new case anyway, and why)."""

    add_to_case: UUID | None = None
    new_case_reason: str | None = Field(default=None, min_length=1, max_length=2_000)

    def as_child(self) -> Child:
        return Child.model_validate(
            self.model_dump(exclude={"add_to_case", "new_case_reason"}, exclude_unset=True)
        )


class IntakeRequest(InputModel):
    """A contact: about one `child` (as before) or several `children` (exactly one of the two),
    with the household shared by them all. Each child gets a case of its own."""

    received_at: datetime
    source: ReferralSource
    referrer: Referrer
    child: IntakeChild | None = None
    children: list[IntakeChild] | None = Field(default=None, min_length=1, max_length=MAX_CHILDREN)
    household: list[HouseholdMember] = Field(default_factory=list, max_length=30)
    concern: str = Field(min_length=1, max_length=20_000)
    categories: list[ConcernCategory] = Field(min_length=1, max_length=len(ConcernCategory))
    consent: Consent
    consent_reason: str | None = Field(default=None, max_length=2_000)
    # For every child without an add_to_case or a reason of its own (the single `child` form).
    new_case_reason: str | None = Field(default=None, min_length=1, max_length=2_000)

    @property
    def all_children(self) -> list[IntakeChild]:
        return self.children or ([self.child] if self.child else [])

    def child_field(self, index: int) -> str:
        """The field naming child `index`, as the caller sent it."""
        return "child" if self.children is None else f"children.{index}"

    def details_for(self, child: IntakeChild) -> ReferralDetails:
        """The intake of one child's case (what its workflow starts with)."""
        values = self.model_dump(exclude={"child", "children", "new_case_reason"})
        return ReferralDetails.model_validate(
            {**values, "child": child.as_child(), "new_case_reason": child.new_case_reason}
        )


class CaseTaken(BaseModel):
    """What the intake did for one child: a new case (with its screening task), or new
    information added to the child's open case (with its review task)."""

    child_index: int
    referral_id: UUID
    url: str
    screening_task_id: UUID | None = None
    added_to_open_case: bool = False
    review_task_id: UUID | None = None


class IntakeAnswer(BaseModel):
    """The answer to an intake. The first three fields are the first child's (as before)."""

    referral_id: UUID
    url: str = Field(description="where the live case can be read")
    screening_task_id: UUID | None = Field(
        description="the screening task, already in the inbox: claim or complete it at once "
        "(null when the first child's contact went to an open case)"
    )
    cases: list[CaseTaken] = Field(description="every child's case, in the order given")
