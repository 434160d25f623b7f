"""Bodies and answers of the task routes: the inbox row, one task with what its owner needs, and
the claim, assign and complete requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.models.linked import ExploitationPrompt, LinkedChild
from api.record import CaseRecordView
from domain.case import OpenedTask, Stage
from domain.inputs import InputModel
from domain.referral import ReferralDetails
from domain.tasks import Agency, TaskKind, TaskResult, TaskStatus


class TaskRow(BaseModel):
    """One task in the inbox: ids, kind, owner and timing only, no personal data."""

    task_id: UUID
    referral_id: UUID
    kind: TaskKind
    agency: Agency | None
    team: str
    status: TaskStatus
    due_at: datetime
    assignee: str | None
    escalation_level: int
    overdue: bool


class TaskPage(BaseModel):
    """A page of the inbox, sorted by due time (earliest first)."""

    items: list[TaskRow]
    limit: int
    offset: int


class ChildDetails(BaseModel):
    """Who the child is: what a partner needs to search their own records, and no more."""

    name: str
    date_of_birth: date | None
    expected_due_date: date | None
    address: str
    nhs_number: str | None


class PartnerTaskDetail(BaseModel):
    """A partner agency's task: the child's identifying details and the concern, nothing else of
    the case (no other agency's answer, no decision)."""

    view: Literal["partner"] = "partner"
    task: TaskRow
    child: ChildDetails
    concern: str


class SiblingCase(BaseModel):
    """A sibling's case, as the case page and the task list it: ids and stage only."""

    referral_id: UUID
    person_id: UUID
    stage: str | None


class StaffTaskDetail(BaseModel):
    """A council task: the task, the live case (each task with who holds it) and the intake."""

    view: Literal["staff"] = "staff"
    task: TaskRow
    case: CaseRecordView
    intake: ReferralDetails
    # The cases of the child's brothers and sisters, with their stages now (screening, the
    # decisions and every council task show them).
    siblings: list[SiblingCase] = Field(default_factory=list)
    # On a screening task only (null on others): the children linked to what the contact names,
    # and the exploitation indicators its concern's words mention (a prompt, deciding nothing).
    linked_children: list[LinkedChild] | None = None
    exploitation_prompts: list[ExploitationPrompt] | None = None


TaskDetail = Annotated[PartnerTaskDetail | StaffTaskDetail, Field(discriminator="view")]


class AssignTask(InputModel):
    """Give a task to a named member of staff."""

    user_id: str = Field(min_length=1, max_length=200)


class CompleteTask(InputModel):
    """What the member of staff recorded; `result.kind` must be the task's kind."""

    result: TaskResult


class TaskCompleted(BaseModel):
    """The case after the completion: its stage and the tasks the completion opened."""

    task_id: UUID
    stage: Stage
    opened_task_ids: list[UUID]
    opened_tasks: list[OpenedTask]
