"""Notifications a case queues: once per step, under an id that a retry gets back, and never with
personal data.

The case activities against a real PostgreSQL, in Temporal's activity environment."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from activities.steps import INVALID_INPUT
from domain.notifications import notification_id_for
from domain.records import RegisterReferralInput
from store.audit_event import list_audit_events
from tests.activities.factory import (
    count,
    notice_for,
    write,
)


async def test_notifying_twice_queues_once_and_returns_the_same_id(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    notice = notice_for(case, {"stage": "decision"})

    await write(env, activities, notice)
    await write(env, activities, notice)

    async with pool.acquire() as conn:
        ids = await conn.fetch(
            "SELECT notification_id FROM notification WHERE workflow_id = $1", case.workflow_id
        )
        events = await list_audit_events(conn, case.workflow_id)
    # One row, under the id derived from its step: the id a retry gets back.
    assert [r["notification_id"] for r in ids] == [
        notification_id_for(case.workflow_id, notice.step_key)
    ]
    assert [e.kind for e in events] == ["referral_received", "notified_referrer_outcome"]


async def test_a_notification_payload_with_personal_data_is_refused_for_good(
    pool: asyncpg.Pool,
    env: ActivityEnvironment,
    activities: CaseActivities,
    case: RegisterReferralInput,
) -> None:
    notice = notice_for(case, {"child_name": "A Child"})

    with pytest.raises(ApplicationError, match="child_name") as raised:
        await write(env, activities, notice)

    assert raised.value.non_retryable and raised.value.type == INVALID_INPUT
    assert await count(pool, "notification", case.workflow_id) == 0
