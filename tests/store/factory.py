"""Tasks as the case activities open and close them, for the task and agency check tests: an
agency check task of a new referral, and its closing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.case import CaseProgress, Stage
from domain.records import CloseTaskInput, OpenTaskInput
from domain.tasks import Agency, TaskKind, TaskStatus, agency_team

OPENED = datetime(2026, 5, 22, 15, tzinfo=UTC)
DUE = OPENED + timedelta(hours=6)
PROGRESS = CaseProgress(revision=1, stage=Stage.checks)


def agency_check_task(workflow_id: str | None = None) -> OpenTaskInput:
    referral_id = uuid.uuid4()
    return OpenTaskInput(
        workflow_id=workflow_id or f"referral-{referral_id}",
        referral_id=referral_id,
        task_id=str(uuid.uuid4()),
        kind=TaskKind.agency_check,
        team=agency_team(Agency.police),
        agency=Agency.police,
        opened_at=OPENED,
        due_at=DUE,
        progress=PROGRESS,
    )


def closing(
    task: OpenTaskInput,
    *,
    status: TaskStatus = TaskStatus.completed,
    closed_at: datetime = OPENED + timedelta(hours=2),
    summary: dict[str, Any] | None = None,
) -> CloseTaskInput:
    return CloseTaskInput(
        workflow_id=task.workflow_id,
        referral_id=task.referral_id,
        task_id=task.task_id,
        kind=task.kind,
        agency=task.agency,
        status=status,
        closed_at=closed_at,
        actor="pc.jones",
        opened_at=task.opened_at,
        due_at=task.due_at,
        summary=summary if summary is not None else {},
        progress=PROGRESS,
    )
