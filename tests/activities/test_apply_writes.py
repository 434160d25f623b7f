"""`apply_writes`: the writes of one step of a case in one transaction, against a real PostgreSQL
in Temporal's activity environment. What a user would see is counted: rows in the inbox, the
audit trail, the outbox and the case list, once each, all or nothing."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from activities.steps import INVALID_INPUT
from domain.case import CaseProgress, Stage
from domain.policy import Role
from domain.records import (
    ApplyWritesInput,
    CaseWrite,
    RecordProgressInput,
    RegisterReferralInput,
)
from domain.tasks import Agency, TaskKind
from store.audit_event import list_audit_events
from tests.activities.factory import (
    RECEIVED,
    closing,
    count,
    notice_for,
    registration,
    rung,
    task_for,
    write,
)


async def test_one_step_lands_in_one_transaction_and_a_retry_writes_nothing_twice(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    screening = task_for(case, revision=2)
    await write(env, activities, screening)
    police = task_for(case, TaskKind.agency_check, Agency.police, revision=4)
    health = task_for(case, TaskKind.agency_check, Agency.health, revision=5)
    step = ApplyWritesInput(
        workflow_id=case.workflow_id,
        writes=[
            closing(screening, revision=3),
            police,
            health,
            rung(police, 1, Role.team_manager, revision=6),
            # Written last with an older revision: the case keeps the newest progress.
            RecordProgressInput(
                workflow_id=case.workflow_id,
                referral_id=case.referral_id,
                step_key="screened",
                audit_kind="screened",
                actor="sam.practitioner",
                occurred_at=RECEIVED,
                progress=CaseProgress(revision=1, stage=Stage.screening),
            ),
        ],
    )

    first = await env.run(activities.apply_writes, step)
    second = await env.run(activities.apply_writes, step)

    assert first.told == [None, None, None, "team_manager of agency:police", None]
    assert second.told == first.told
    async with pool.acquire() as conn:
        events = await list_audit_events(conn, case.workflow_id)
        tasks = await conn.fetch("SELECT kind, agency, status FROM task ORDER BY opened_at, kind")
        revision, stage, level = await conn.fetchrow(
            "SELECT revision, stage, escalation_level FROM referral"
        ) or (None, None, None)
    assert sorted(e.kind for e in events) == [
        "escalated",
        "referral_received",
        "screened",
        "task_completed",
        "task_opened",
        "task_opened",
        "task_opened",
    ]
    assert sorted(tuple(t) for t in tasks) == [
        ("agency_check", "health", "open"),
        ("agency_check", "police", "open"),
        ("screening", None, "completed"),
    ]
    assert await count(pool, "agency_check", case.workflow_id) == 2
    # One "task opened" notice per task, and the escalation.
    assert await count(pool, "notification", case.workflow_id) == 4
    assert (revision, stage, level) == (6, "screening", 1)


async def test_a_write_that_fails_inside_the_step_leaves_none_of_it_written(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    task = task_for(case, revision=2)
    step = ApplyWritesInput(
        workflow_id=case.workflow_id,
        writes=[task, notice_for(case, {"child_name": "A Child"})],
    )

    with pytest.raises(ApplicationError, match="child_name") as raised:
        await env.run(activities.apply_writes, step)

    assert raised.value.non_retryable and raised.value.type == INVALID_INPUT
    for table in ("task", "notification"):
        assert await count(pool, table, case.workflow_id) == 0
    assert await count(pool, "audit_event", case.workflow_id) == 1  # the referral's receipt


async def test_a_step_with_a_bad_write_or_another_case_is_refused_before_writing(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    good = task_for(case, revision=2)
    other = task_for(registration(), revision=2)

    refused: list[tuple[list[CaseWrite], str]] = [
        ([good, task_for(case).model_copy(update={"task_id": "x"})], "not a UUID"),
        ([good, other], "of the batch's case"),
    ]
    for writes, problem in refused:
        with pytest.raises(ApplicationError, match=problem) as raised:
            await env.run(
                activities.apply_writes,
                ApplyWritesInput(workflow_id=case.workflow_id, writes=writes),
            )
        assert raised.value.non_retryable
    assert await count(pool, "task", case.workflow_id) == 0
