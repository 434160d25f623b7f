"""`frontdoor directory set|list|remove` against the test database, and `frontdoor notifier` as a
real process delivering a queued row to an SMTP server in the test and stopping on SIGTERM.

The typer app runs in a worker thread: its commands call `asyncio.run`, which cannot run on the
test's own (running) event loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from core.settings import get_settings
from domain.records import NotifyInput
from store.notification import queue_notification
from tests.notifier.smtp import SmtpServer
from tests.ports import free_port

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings are read once per process; each invocation here points at its own database."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def frontdoor(database_url: str | None, *args: str) -> Result:
    def invoke() -> Result:
        get_settings.cache_clear()
        env = {"FRONTDOOR_DATABASE_URL": database_url or "", "FRONTDOOR_LOG_FORMAT": "json"}
        return CliRunner().invoke(app, list(args), env=env)

    return await asyncio.to_thread(invoke)


async def test_directory_set_list_remove(database_url: str) -> None:
    set_tm = await frontdoor(
        database_url,
        *("directory", "set", "--team", "front_door_managers", "--role", "team_manager"),
        *("--mailbox", "tm@council.example", "--digest"),
    )
    set_police = await frontdoor(
        database_url,
        *("directory", "set", "--team", "agency:police", "--mailbox", "duty@police.example"),
    )
    set_user = await frontdoor(
        database_url, "directory", "set", "--user", "sam.patel", "--mailbox", "sam@council.example"
    )
    listed = await frontdoor(database_url, "directory", "list")

    assert set_tm.exit_code == 0, set_tm.output
    assert set_tm.output == (
        "set team_manager of front_door_managers -> tm@council.example (daily digest)\n"
    )
    assert (set_police.exit_code, set_user.exit_code) == (0, 0)
    assert listed.exit_code == 0, listed.output
    assert [line.split() for line in listed.output.splitlines()] == [
        ["KIND", "NAME", "ROLE", "MAILBOX", "DIGEST"],
        ["team", "agency:police", "-", "duty@police.example", "no"],
        ["team", "front_door_managers", "team_manager", "tm@council.example", "yes"],
        ["user", "sam.patel", "-", "sam@council.example", "no"],
    ]

    removed = await frontdoor(
        database_url,
        "directory",
        "remove",
        "--team",
        "front_door_managers",
        "--role",
        "team_manager",
    )
    again = await frontdoor(
        database_url,
        "directory",
        "remove",
        "--team",
        "front_door_managers",
        "--role",
        "team_manager",
    )
    after = await frontdoor(database_url, "directory", "list")

    assert (removed.exit_code, removed.output) == (0, "removed\n")
    assert again.exit_code == 1 and "no such directory entry" in again.output
    assert "front_door_managers" not in after.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mailbox", "x@council.example"], "exactly one of --team or --user"),
        (["--team", "t", "--user", "u", "--mailbox", "x@council.example"], "exactly one"),
        (["--user", "u", "--role", "team_manager", "--mailbox", "x@council.example"], "--role"),
        (["--team", "front_door_managers", "--mailbox", "Mo Manager"], "is not a mailbox"),
    ],
)
async def test_directory_set_refuses_an_entry_that_cannot_be_right(
    database_url: str, args: list[str], message: str
) -> None:
    result = await frontdoor(database_url, "directory", "set", *args)
    listed = await frontdoor(database_url, "directory", "list")

    assert result.exit_code == 1
    assert message in result.output
    assert "the directory is empty" in listed.output


async def test_directory_needs_a_database() -> None:
    result = await frontdoor(None, "directory", "list")
    assert result.exit_code == 1
    assert "FRONTDOOR_DATABASE_URL" in result.output


async def test_setting_a_missing_mailbox_requeues_what_failed_for_want_of_it(
    pool: asyncpg.Pool, database_url: str
) -> None:
    referral_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await queue_notification(
            conn,
            NotifyInput(
                workflow_id=f"referral-{referral_id}",
                referral_id=referral_id,
                step_key="notify/referrer_told",
                kind="referrer_told",
                recipient_team="referrer",
                occurred_at=datetime.now(UTC),
                payload={"outcome": "early_help"},
            ),
        )
        await conn.execute(
            "UPDATE notification SET status = 'failed', failure_reason = 'no_recipient'"
        )

    result = await frontdoor(
        database_url,
        *("directory", "set", "--team", "referrer", "--mailbox", "outbound@council.example"),
    )

    assert result.exit_code == 0, result.output
    assert "requeued 1 undeliverable notification(s)" in result.output
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM notification") == "pending"


async def test_the_notifier_command_delivers_and_stops_on_sigterm(
    pool: asyncpg.Pool, database_url: str
) -> None:
    smtp = SmtpServer(free_port())
    await smtp.start()
    referral_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO directory_entry (kind, name, mailbox) VALUES ('team', $1, $2)",
            "exploitation",
            "exploitation@council.example",
        )
        await queue_notification(
            conn,
            NotifyInput(
                workflow_id=f"referral-{referral_id}",
                referral_id=referral_id,
                step_key="notify/exploitation",
                kind="exploitation_risk",
                recipient_team="exploitation",
                occurred_at=datetime.now(UTC),
                payload={"risk": "significant"},
            ),
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
    env.update(
        FRONTDOOR_DATABASE_URL=database_url,
        FRONTDOOR_SMTP_HOST="127.0.0.1",
        FRONTDOOR_SMTP_PORT=str(smtp.port),
        FRONTDOOR_SMTP_TLS="none",
        FRONTDOOR_NOTIFY_POLL_SECONDS="0.1",
        FRONTDOOR_LOG_FORMAT="json",
    )
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "cli.main", "notifier"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while not smtp.received:
            assert proc.returncode is None, "the notifier exited early"
            assert asyncio.get_running_loop().time() < deadline, "no email in 30 s"
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 15)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await smtp.stop()

    assert proc.returncode == 0, stderr.decode()
    [mail] = smtp.received
    assert mail.recipients == ["exploitation@council.example"]
    assert "Exploitation risk: significant" in mail.message.get_content()
    log = stderr.decode()
    assert '"event": "notification_sent"' in log and "exploitation@council.example" not in log
