"""What the notifier tests set up and look at: the notifier's settings against the test's SMTP
server, directory entries, an escalation queued as the workflow queues it, a stored outbox row,
and a clock the test moves."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from core.settings import Settings, SmtpTls
from domain.records import NotifyInput
from domain.tasks import Team
from store.directory_entry import DirectoryEntry, EntryKind, set_entry
from store.notification import queue_notification
from tests.notifier.smtp import SmtpServer

MANAGERS = "tm@council.example"
PRACTITIONERS = "practitioners@council.example"


def settings_for(database_url: str, smtp: SmtpServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_tls": SmtpTls.NONE,
        "notify_sender": "Front Door <frontdoor@council.example>",
        "public_base_url": "https://frontdoor.council.example/",
        "notify_backoff_seconds": 0.01,
        "notify_backoff_max_seconds": 0.05,
        "notify_poll_seconds": 0.02,
        **overrides,
    }
    return Settings.model_validate(values)


async def directory(pool: asyncpg.Pool, *entries: DirectoryEntry) -> None:
    async with pool.acquire() as conn:
        for entry in entries:
            await set_entry(conn, entry)


def team(name: str, mailbox: str, role: str | None = None, digest: bool = False) -> DirectoryEntry:
    return DirectoryEntry(kind=EntryKind.team, name=name, role=role, mailbox=mailbox, digest=digest)


async def queue(pool: asyncpg.Pool, role: str | None = "team_manager", **payload: Any) -> uuid.UUID:
    """An escalation of a screening to `role` of the practitioners, as the workflow queues it."""
    referral_id = uuid.uuid4()
    notice = NotifyInput(
        workflow_id=f"referral-{referral_id}",
        referral_id=referral_id,
        step_key="task/t/rung/1",
        kind="escalation",
        recipient_team=Team.practitioners.value,
        recipient_role=role,
        occurred_at=datetime.now(UTC),
        payload={"task_kind": "screening", "level": 1, "role": "team_manager", **payload},
    )
    async with pool.acquire() as conn:
        return await queue_notification(conn, notice)


async def row(pool: asyncpg.Pool, notification_id: uuid.UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        found = await conn.fetchrow(
            "SELECT * FROM notification WHERE notification_id = $1", notification_id
        )
    assert found is not None
    return found


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Poll `check` until it holds; fail after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def all_sent(pool: asyncpg.Pool) -> bool:
    async with pool.acquire() as conn:
        return bool(await conn.fetchval("SELECT bool_and(status = 'sent') FROM notification"))


class Clock:
    """A clock the test moves; starts a little ahead of the database's so queued rows are due."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now
