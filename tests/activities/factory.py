"""Builders for the case activities' tests: a registered case, its tasks, rungs and notices,
each with the ids and progress a workflow would send, and a count of what a user would see."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from domain.case import CaseProgress, Stage
from domain.policy import Rag, Role
from domain.records import (
    ApplyWritesInput,
    CaseWrite,
    CloseTaskInput,
    EscalateInput,
    NotifyInput,
    OpenTaskInput,
    RegisterReferralInput,
)
from domain.tasks import Agency, TaskKind, TaskStatus, Team, agency_team
from tests.workflows.driver import referral_details

RECEIVED = datetime(2026, 5, 22, 15, tzinfo=UTC)
NHS = "9434765919"


def registration(received_at: datetime = RECEIVED, revision: int = 1) -> RegisterReferralInput:
    referral_id = uuid.uuid4()
    return RegisterReferralInput(
        workflow_id=f"referral-{referral_id}",
        referral_id=referral_id,
        received_at=received_at,
        source="2A",
        policy_version="england-2023",
        details=referral_details(received_at, nhs_number=NHS),
        progress=CaseProgress(revision=revision, stage=Stage.screening),
    )


def task_for(
    case: RegisterReferralInput,
    kind: TaskKind = TaskKind.screening,
    agency: Agency | None = None,
    revision: int = 2,
) -> OpenTaskInput:
    return OpenTaskInput(
        workflow_id=case.workflow_id,
        referral_id=case.referral_id,
        task_id=str(uuid.uuid4()),
        kind=kind,
        team=agency_team(agency) if agency else Team.practitioners.value,
        agency=agency,
        opened_at=RECEIVED,
        due_at=RECEIVED + timedelta(hours=2),
        progress=CaseProgress(revision=revision, stage=Stage.screening, rag=Rag.amber),
    )


def closing(task: OpenTaskInput, revision: int) -> CloseTaskInput:
    return CloseTaskInput(
        workflow_id=task.workflow_id,
        referral_id=task.referral_id,
        task_id=task.task_id,
        kind=task.kind,
        status=TaskStatus.completed,
        closed_at=RECEIVED + timedelta(minutes=40),
        actor="sam.practitioner",
        opened_at=task.opened_at,
        due_at=task.due_at,
        summary={"rag": "amber"},
        progress=CaseProgress(revision=revision, stage=Stage.checks),
    )


def rung(task: OpenTaskInput, level: int, role: Role, revision: int = 3) -> EscalateInput:
    at = task.due_at + timedelta(minutes=30 * (level - 1))
    return EscalateInput(
        workflow_id=task.workflow_id,
        referral_id=task.referral_id,
        task_id=task.task_id,
        kind=task.kind,
        team=task.team,
        level=level,
        role=role,
        rung_at=at,
        fired_at=at,
        due_at=task.due_at,
        reason="overdue",
        progress=CaseProgress(revision=revision, stage=Stage.screening, escalation_level=level),
    )


def notice_for(case: RegisterReferralInput, payload: dict[str, Any]) -> NotifyInput:
    return NotifyInput(
        workflow_id=case.workflow_id,
        referral_id=case.referral_id,
        step_key="outcome/referrer",
        kind="referrer_outcome",
        recipient_team=Team.practitioners.value,
        recipient_role="team_manager",
        occurred_at=RECEIVED,
        payload=payload,
    )


async def write(
    env: ActivityEnvironment, activities: CaseActivities, step: CaseWrite
) -> str | None:
    """Apply one write as the workflow does (a step of one); answer who it told."""
    batch = ApplyWritesInput(workflow_id=step.workflow_id, writes=[step])
    (told,) = (await env.run(activities.apply_writes, batch)).told
    return told


async def count(pool: asyncpg.Pool, table: str, workflow_id: str) -> int:
    async with pool.acquire() as conn:
        n: int = await conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE workflow_id = $1", workflow_id
        )
    return n
