"""`frontdoor dev` brings the whole system up, stops all it started, and keeps state between runs.

These run the real command in a child process, on free ports and a temporary state folder.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from cli.embedded import ensure_port_free
from core.temporal import connect
from tests.ports import free_port

pytestmark = pytest.mark.timeout(240)


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention `text` (e.g. the state folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and str(os.getpid()) != entry.name:
            found.append(cmdline)
    return found


class DevStack:
    """A `frontdoor dev` child process and the ports it was given."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.api_port = free_port()
        self.temporal_port = free_port()
        self.ui_port = free_port()
        self.output = state_dir.parent / f"dev-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
        env.update(
            FRONTDOOR_STATE_DIR=str(self.state_dir),
            FRONTDOOR_API_PORT=str(self.api_port),
            FRONTDOOR_TEMPORAL_PORT=str(self.temporal_port),
            FRONTDOOR_TEMPORAL_UI_PORT=str(self.ui_port),
            FRONTDOOR_LOG_FORMAT="json",
        )
        return env

    def start(self) -> None:
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "dev"],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, within: float = 120) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"dev exited early:\n{self.log()}"
            # The banner comes after the supervisor's own readiness check.
            if "Press Ctrl-C to stop." in self.log():
                assert httpx.get(f"http://127.0.0.1:{self.api_port}/readyz").status_code == 200
                return
            time.sleep(0.5)
        raise AssertionError(f"not ready in {within}s:\n{self.log()}")

    def interrupt(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def _database_users(state_dir: Path) -> set[str]:
    """Who is connected to the embedded server's `frontdoor` database, but this test."""
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(state_dir / "postgres")
    assert info is not None, "embedded PostgreSQL is not running"
    conn = await asyncpg.connect(info.get_uri(database="frontdoor"))
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT usename FROM pg_stat_activity"
            " WHERE datname = 'frontdoor' AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return {row["usename"] for row in rows}


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "state"
    yield path
    if _processes_mentioning(str(path)):  # leave nothing behind even if a test failed half-way
        subprocess.run(["pkill", "-f", str(path)], check=False)


def test_dev_runs_everything_and_ctrl_c_stops_everything(state_dir: Path) -> None:
    stack = DevStack(state_dir)
    stack.start()
    try:
        stack.wait_ready()
        ui = httpx.get(f"http://127.0.0.1:{stack.ui_port}/api/v1/namespaces", timeout=10)
        assert ui.status_code == 200
        namespaces = {ns["namespaceInfo"]["name"]: ns for ns in ui.json()["namespaces"]}
        assert "default" in namespaces
        # Closed histories are kept a week, set explicitly (the dev server's default is a day).
        assert namespaces["default"]["config"]["workflowExecutionRetentionTtl"] == "604800s"
        assert f"http://127.0.0.1:{stack.api_port}/docs" in stack.log()
        # The UI decodes through the API's codec, which lets it in without a token (dev only).
        ui_settings = httpx.get(f"http://127.0.0.1:{stack.ui_port}/api/v1/settings", timeout=10)
        codec = f"http://127.0.0.1:{stack.api_port}/codec"
        assert ui_settings.json()["Codec"]["Endpoint"] == codec
        assert f"decodes payloads through {codec} (development only" in stack.log()
        decoded = httpx.post(
            f"{codec}/decode",
            json={"payloads": []},
            headers={"Origin": f"http://127.0.0.1:{stack.ui_port}"},
            timeout=10,
        )
        assert decoded.status_code == 200, decoded.text
        # The workbench's address, and the workbench there: a browser is asked to sign in.
        assert f"http://127.0.0.1:{stack.api_port}/work" in stack.log()
        work = httpx.get(f"http://127.0.0.1:{stack.api_port}/work", timeout=10)
        assert work.status_code == 303 and work.headers["location"] == "/sign-in?next=/work"
        assert f"http://127.0.0.1:{stack.ui_port}" in stack.log()
        assert _processes_mentioning(str(state_dir)), "expected the servers to be running"
        # The history file and the server's log are the owner's alone.
        assert _mode(state_dir / "temporal.sqlite") == 0o600
        assert _mode(state_dir / "temporal.log") == 0o600
        # The worker, notifier and API are connected as the app's login role, not the owner.
        assert asyncio.run(_database_users(state_dir)) == {"frontdoor_app_login"}

        assert stack.interrupt() == 0
    finally:
        stack.kill()
    deadline = time.monotonic() + 15
    while _processes_mentioning(str(state_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(str(state_dir)) == []
    ensure_port_free("127.0.0.1", stack.api_port, "FRONTDOOR_API_PORT")  # free to run again


def test_a_second_run_reuses_the_state(state_dir: Path) -> None:
    workflow_id = f"restart-check-{uuid.uuid4()}"
    first = DevStack(state_dir)
    first.start()
    try:
        first.wait_ready()

        async def start_case() -> None:
            client = await connect(f"127.0.0.1:{first.temporal_port}", "default")
            await client.start_workflow("NoSuchWorkflow", id=workflow_id, task_queue="nobody")

        asyncio.run(start_case())
        assert first.interrupt() == 0
    finally:
        first.kill()

    # A history file left readable by others (as older versions left it) is narrowed.
    (state_dir / "temporal.sqlite").chmod(0o644)
    second = DevStack(state_dir)
    second.start()
    try:
        second.wait_ready()
        assert _mode(state_dir / "temporal.sqlite") == 0o600

        async def describe() -> str:
            client = await connect(f"127.0.0.1:{second.temporal_port}", "default")
            return (await client.get_workflow_handle(workflow_id).describe()).id

        assert asyncio.run(describe()) == workflow_id
        assert "database migrated (0 new migration(s) applied)" in second.log()
        assert second.interrupt() == 0
    finally:
        second.kill()


def test_a_port_in_use_stops_dev_with_the_setting_to_change(state_dir: Path) -> None:
    stack = DevStack(state_dir)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", stack.api_port))
        taken.listen()
        stack.start()
        assert stack.proc is not None
        assert stack.proc.wait(timeout=60) == 1
    assert "set FRONTDOOR_API_PORT to a free port" in stack.log()
    assert _processes_mentioning(str(state_dir)) == []
