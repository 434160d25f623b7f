"""Faults in the middle of a load, all on this machine: nothing lost, nothing done twice.

Each test runs the system as separate processes (tests/reliability/system.py), starts the load
generator, breaks one part while it works, mends it, and then checks every case closed with
exactly its tasks, and the database holds one row per task and per audited step.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from cli.load_client import Report
from cli.loadgen import run_load
from tests.reliability.system import System

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
async def system() -> AsyncIterator[System]:
    # Not pytest's tmp_path: PostgreSQL runs as another user, and other pytest sessions on the
    # machine prune old tmp_path folders.
    state = Path(tempfile.mkdtemp(prefix="frontdoor-faults-"))
    running = System(state / "state")
    try:
        await running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)


async def _closed_cases(system: System) -> int:
    conn = await asyncpg.connect(system.database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM referral WHERE stage = 'closed'"))
    finally:
        await conn.close()


async def _when_closed(system: System, count: int) -> None:
    for _ in range(1200):
        try:
            if await _closed_cases(system) >= count:
                return
        except (OSError, asyncpg.PostgresError):
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} cases never closed")


async def _no_duplicates(system: System) -> None:
    conn = await asyncpg.connect(system.database_url)
    try:
        tasks = await conn.fetchval("SELECT count(*) FROM task")
        opened = await conn.fetchval("SELECT count(*) FROM audit_event WHERE kind = 'task_opened'")
        closed = await conn.fetchval(
            "SELECT count(*) FROM audit_event WHERE kind LIKE 'task\\_%' AND kind <> 'task_opened'"
        )
        still_open = await conn.fetchval("SELECT count(*) FROM task WHERE status = 'open'")
    finally:
        await conn.close()
    assert tasks == opened == closed, (tasks, opened, closed)
    assert still_open == 0


def _load(system: System, referrals: int) -> asyncio.Task[Report]:
    return asyncio.create_task(
        run_load(system.base_url, system.settings(), referrals=referrals, concurrency=20, seed=11)
    )


async def test_the_worker_killed_mid_load_loses_and_repeats_nothing(system: System) -> None:
    load = _load(system, 200)
    await _when_closed(system, 40)
    system.kill_child("worker")  # SIGKILL: no goodbye, tasks in flight
    await asyncio.sleep(2)
    system.start_child("worker")
    report = await load
    assert report.problems == [], report.lines()
    await _no_duplicates(system)


async def test_temporal_restarted_on_its_sqlite_file_mid_load(system: System) -> None:
    load = _load(system, 200)
    await _when_closed(system, 40)
    await system.restart_temporal(down_for=3)
    report = await load
    assert report.problems == [], report.lines()
    # The outage was felt: as 503s, or as requests that waited through it (intake and
    # completion wait on Temporal, whose client retries while the server restarts).
    slowest = max(max(values) for values in report.latencies.values())
    assert slowest >= 3 or any(status >= 500 for _, status in report.statuses), report.lines()
    await _no_duplicates(system)


async def test_postgresql_stopped_for_twenty_seconds_mid_load(system: System) -> None:
    load = _load(system, 200)
    await _when_closed(system, 40)
    system.stop_postgres()
    try:
        async with httpx.AsyncClient() as http:
            token = {"Authorization": f"Bearer {_manager_token(system)}"}
            down = await http.get(f"{system.base_url}/referrals", headers=token)
            ready = await http.get(f"{system.base_url}/readyz")
        assert down.status_code == 503
        assert down.json()["error"]["details"] == [{"part": "postgresql"}]
        assert ready.status_code == 503 and "postgresql" in ready.json()["error"]["message"]
        await asyncio.sleep(20)
    finally:
        system.start_postgres()
    report = await load
    assert report.problems == [], report.lines()
    await _no_duplicates(system)


def _manager_token(system: System) -> str:
    from api.auth import StaffRole, User, issue_token

    return issue_token(system.settings(), User(user_id="m", name="M", roles=[StaffRole.manager]))
