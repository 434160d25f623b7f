"""Bodies and answers of the audit routes: drawing a sample, the audit form, moderation and
learning actions (docs/quality-assurance.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from api.record import CaseRecordView
from domain.inputs import InputModel
from domain.quality import ActionStatus, AuditStatus, Grade, Question, Reason, SampleRules

MONTH_PATTERN = r"^(20\d\d)-(0[1-9]|1[0-2])$"
Text = Annotated[str, Field(min_length=1, max_length=10_000)]
UserId = Annotated[str, Field(min_length=1, max_length=200)]


class DrawSample(InputModel):
    """A month's sample (`yyyy-mm`, of the cases closed that month). Without `seed` one is drawn
    and recorded; with the seed of an earlier sample, the same cases are drawn again."""

    month: str = Field(pattern=MONTH_PATTERN)
    seed: int | None = Field(default=None, ge=0, le=2**62)
    rules: SampleRules = Field(default_factory=SampleRules)
    auditors: list[UserId] | None = Field(default=None, min_length=1, max_length=200)
    """Who audits; by default every auditor and manager who has signed in."""

    @property
    def first_day(self) -> date:
        year, month = self.month.split("-")
        return date(int(year), int(month), 1)


class AuditRow(BaseModel):
    """One audit: the case's id, why it was drawn, who audits it and where it stands."""

    audit_id: UUID
    sample_id: UUID
    referral_id: UUID
    reasons: list[Reason]
    auditor: str
    to_moderate: bool
    status: AuditStatus
    overall_grade: Grade | None
    assigned_at: datetime
    submitted_at: datetime | None


class SampleView(BaseModel):
    sample_id: UUID
    month: str
    seed: int
    rules: SampleRules
    drawn_by: str
    candidates: int
    audits: list[AuditRow]


class Answer(InputModel):
    question: Question
    grade: Grade
    evidence: Text


class AuditForm(InputModel):
    """The whole form: every question graded with evidence, and the overall grade with a
    rationale. Saving it submits the audit (it may be saved again until it is moderated)."""

    answers: list[Answer] = Field(min_length=1, max_length=len(Question))
    overall_grade: Grade
    rationale: Text

    @field_validator("answers")
    @classmethod
    def _every_question_once(cls, answers: list[Answer]) -> list[Answer]:
        asked = [a.question for a in answers]
        missing = [q.value for q in Question if q not in asked]
        if missing or len(set(asked)) != len(asked):
            raise ValueError(f"answer every question once; missing: {missing}")
        return answers


class ModerationForm(InputModel):
    """A second auditor's view. A disagreement needs the grade it was resolved to and how."""

    grade: Grade
    agrees: bool
    resolved_grade: Grade | None = None
    resolution: Text | None = None


class ModerationView(BaseModel):
    moderator: str
    grade: Grade
    agrees: bool
    resolved_grade: Grade | None
    resolution: str | None
    moderated_at: datetime


class NewAction(InputModel):
    action: Annotated[str, Field(min_length=1, max_length=2_000)]
    owner: UserId
    due_on: date


class ActionChange(InputModel):
    status: ActionStatus | None = None
    owner: UserId | None = None
    due_on: date | None = None


class ActionView(BaseModel):
    action_id: UUID
    audit_id: UUID
    action: str
    owner: str
    due_on: date
    status: ActionStatus
    overdue: bool
    created_by: str
    done_at: datetime | None


class AuditView(AuditRow):
    """An audit as its auditor (or moderator) sees it, with the case as the record shows it."""

    answers: list[Answer]
    rationale: str | None
    moderation: ModerationView | None
    actions: list[ActionView]
    case: CaseRecordView
