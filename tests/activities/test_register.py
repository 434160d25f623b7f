"""Registering a case: the case row, its receipt in the audit trail, and earlier referrals of
the same child.

The case activities against a real PostgreSQL, in Temporal's activity environment."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from store.audit_event import list_audit_events
from tests.activities.factory import (
    RECEIVED,
    registration,
)


async def test_registering_twice_writes_once_and_finds_earlier_referrals(
    pool: asyncpg.Pool, env: ActivityEnvironment, activities: CaseActivities
) -> None:
    earlier = registration(received_at=RECEIVED - timedelta(days=100))
    now = registration()
    await env.run(activities.register_referral, earlier)

    first = await env.run(activities.register_referral, now)
    second = await env.run(activities.register_referral, now)

    assert first.earlier_referral_ids == second.earlier_referral_ids == [earlier.referral_id]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM referral") == 2
        assert await conn.fetchval(
            "SELECT re_referral FROM referral WHERE workflow_id = $1", now.workflow_id
        )
        events = await list_audit_events(conn, now.workflow_id)
    assert [(e.step_key, e.kind) for e in events] == [("received", "referral_received")]
    assert events[0].details == {
        "source": "2A",
        "policy_version": "england-2023",
        "earlier_referral_count": 1,
    }
