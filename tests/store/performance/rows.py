"""The performance tests' read model, built by hand: rows go straight into `referral`, `task`,
`agency_check` and `case_link` with only the columns a test cares about, as the activities would
have left them; the period the tests report on (two whole weeks of March 2026, both in GMT) and
a clock in it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from domain.calendar import LONDON
from domain.measures import Period
from store.performance.report import MEASURES
from store.performance.scope import Scope, reading

WEEK_1, WEEK_2 = date(2026, 3, 2), date(2026, 3, 9)
PERIOD = Period(date(2026, 3, 2), date(2026, 3, 15))  # two whole weeks, both in GMT
NOW = datetime(2026, 3, 13, 17, 0, tzinfo=UTC)  # Friday of week 2, 17:00 in London


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A London wall-clock time, as an instant in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON).astimezone(
        UTC
    )


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    return at(date(2026, 3, day), hour, minute)


_JSONB = ("summary", "deadlines", "milestones")


class Rows:
    """Insert read-model rows with only the columns a test cares about."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def referral(self, received: datetime, **columns: Any) -> UUID:
        referral_id = uuid.uuid4()
        columns.setdefault("stage", "closed" if columns.get("closed_at") else "decision")
        values = {
            "referral_id": referral_id,
            "workflow_id": f"referral-{referral_id}",
            "policy_version": "england-2023",
            "received_at": received,
            "source_code": "3A",
            **columns,
        }
        await self._insert("referral", values)
        return referral_id

    async def task(
        self,
        referral_id: UUID,
        kind: str,
        due: datetime,
        *,
        team: str = "front_door_practitioners",
        **columns: Any,
    ) -> UUID:
        task_id = uuid.uuid4()
        summary = columns.pop("summary", {})
        values = {
            "task_id": task_id,
            "referral_id": referral_id,
            "workflow_id": f"referral-{referral_id}",
            "step_key": f"task/{task_id}",
            "kind": kind,
            "team": team,
            "due_at": due,
            "opened_at": columns.pop("opened_at", due - timedelta(hours=4)),
            "summary": json.dumps(summary),
            **columns,
        }
        await self._insert("task", values)
        return task_id

    async def check(
        self, referral_id: UUID, agency: str, requested: datetime, due: datetime, **columns: Any
    ) -> None:
        status = columns.setdefault("status", "completed")
        task_id = await self.task(
            referral_id, "agency_check", due, team=f"agency:{agency}", agency=agency, status=status
        )
        values = {
            "task_id": task_id,
            "workflow_id": f"referral-{referral_id}",
            "referral_id": referral_id,
            "agency": agency,
            "requested_at": requested,
            "due_at": due,
            **columns,
        }
        await self._insert("agency_check", values)

    async def link(
        self, referral_id: UUID, kind: str, entity_id: UUID, linked: datetime, **columns: Any
    ) -> None:
        """A `case_link` row (migration 0014); pass `ended_at` to end it."""
        values = {
            "link_id": uuid.uuid4(),
            "referral_id": referral_id,
            "entity_kind": kind,
            "entity_id": entity_id,
            "linked_by": "sw-1",
            "linked_at": linked,
            "key_id": "test-1",
            "reason": b"sealed",
            **columns,
        }
        if "ended_at" in columns:
            values |= {"ended_by": "sw-2", "end_key_id": "test-1", "end_reason": b"sealed"}
        await self._insert("case_link", values)

    async def _insert(self, table: str, values: dict[str, Any]) -> None:
        names = ", ".join(values)
        params = ", ".join(
            f"${i}::jsonb" if name in _JSONB else f"${i}" for i, name in enumerate(values, 1)
        )
        await self.conn.execute(
            f"INSERT INTO {table} ({names}) VALUES ({params})", *values.values()
        )


async def measure(pool: asyncpg.Pool, name: str, team: str | None = None) -> Any:
    async with pool.acquire() as conn, reading(conn):
        return await MEASURES[name](conn, Scope(PERIOD, team, NOW))


def week(result: Any, start: date) -> Any:
    return next(w for w in result.weeks if w.week_start == start)
