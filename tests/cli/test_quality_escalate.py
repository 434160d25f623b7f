"""`frontdoor audits escalate`: an overdue learning action is escalated through the outbox, once a
day however often the check runs, up the ladder as it stays overdue, and not once it is done."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import asyncpg
import pytest
from typer.testing import CliRunner

from cli.audits import escalate
from cli.main import app
from core.settings import get_settings
from domain.quality import ActionStatus, Reason, SampleRules
from store import audit, audit_sample, learning_action
from tests.store.performance.rows import Rows, mar

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def add_action(pool: asyncpg.Pool, due_on: date) -> uuid.UUID:
    async with pool.acquire() as conn:
        referral = await Rows(conn).referral(mar(2, 10), closed_at=mar(3, 10))
        sample_id, audit_id, action_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await audit_sample.insert_sample(
            conn, sample_id=sample_id, month=date(2026, 3, 1), seed=1, rules=SampleRules(),
            drawn_by="mo.manager",
        )  # fmt: skip
        await audit.insert_audit(
            conn, audit_id=audit_id, sample_id=sample_id, referral_id=referral,
            reasons=[Reason.random], auditor="ann.auditor", to_moderate=False,
        )  # fmt: skip
        await learning_action.insert_action(
            conn, action_id=action_id, audit_id=audit_id, action="Record the child's words",
            owner="pat.practitioner", due_on=due_on, created_by="ann.auditor",
        )  # fmt: skip
    return action_id


async def rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(
            "SELECT workflow_id, step_key, recipient_team, recipient_role, payload"
            " FROM notification ORDER BY step_key"
        )


async def test_an_overdue_action_escalates_once_a_day_up_the_ladder(pool: asyncpg.Pool) -> None:
    action_id = await add_action(pool, due_on=date(2026, 4, 20))
    await add_action(pool, due_on=date(2026, 5, 30))  # not yet due
    async with pool.acquire() as conn:
        assert await escalate(conn, date(2026, 4, 20), NOW) == 0  # due today: not overdue
        assert await escalate(conn, date(2026, 4, 21), NOW) == 1
        assert await escalate(conn, date(2026, 4, 21), NOW) == 0  # the same day: nothing more
        assert await escalate(conn, date(2026, 5, 1), NOW) == 1
    queued = await rows(pool)
    assert [(r["step_key"], r["recipient_role"]) for r in queued] == [
        ("overdue/2026-04-21", "team_manager"),
        ("overdue/2026-05-01", "service_manager"),
    ]
    assert {r["workflow_id"] for r in queued} == {f"learning-action-{action_id}"}
    assert queued[0]["recipient_team"] == "front_door_managers"
    assert json.loads(queued[0]["payload"])["due_at"] == "2026-04-20"

    async with pool.acquire() as conn:
        await learning_action.update_action(
            conn, action_id, status=ActionStatus.done, owner=None, due_on=None, now=NOW
        )
        assert await escalate(conn, date(2026, 5, 2), NOW) == 0


async def test_the_command_runs_the_check_and_repeating_it_adds_nothing(
    database_url: str, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_action(pool, due_on=date(2026, 4, 20))
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", database_url)
    runner = CliRunner()
    # In a thread: the command calls asyncio.run, which cannot run on the test's own loop.
    for expected in (1, 0):
        result = await asyncio.to_thread(
            runner.invoke, app, ["audits", "escalate", "--on", "2026-05-01"]
        )
        assert result.exit_code == 0, result.output
        assert f"{expected} overdue learning action(s) escalated for 2026-05-01" in result.output
    assert len(await rows(pool)) == 1
