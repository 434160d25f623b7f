"""The case read model: the newest progress wins, whatever order the writes land in.

The case activities against a real PostgreSQL, in Temporal's activity environment."""

from __future__ import annotations

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from domain.case import CaseProgress, Stage
from domain.records import RecordProgressInput, RegisterReferralInput
from tests.activities.factory import (
    RECEIVED,
    count,
    write,
)


async def test_late_progress_does_not_overwrite_newer_progress(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:

    def change(revision: int, stage: Stage, step_key: str) -> RecordProgressInput:
        return RecordProgressInput(
            workflow_id=case.workflow_id,
            referral_id=case.referral_id,
            step_key=step_key,
            audit_kind="stage_changed",
            actor="system",
            occurred_at=RECEIVED,
            details={"stage": stage.value},
            progress=CaseProgress(revision=revision, stage=stage),
        )

    await write(env, activities, change(5, Stage.visit, "stage/5"))
    await write(env, activities, change(3, Stage.decision, "stage/3"))

    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT revision, stage FROM referral")
    assert row is not None and tuple(row) == (5, "visit")
    assert await count(pool, "audit_event", case.workflow_id) == 3
