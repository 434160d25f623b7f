"""The whole system as separate processes on this machine, for fault tests: the Temporal dev
server on a SQLite file, PostgreSQL from pgserver, the worker and the API; each can be killed,
stopped and started again while the load generator works."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import httpx

from cli.embedded import EmbeddedPostgres, EmbeddedTemporal
from core.settings import Settings
from core.temporal import ensure_search_attributes
from store.migrate import migrate
from tests.api.conftest import TEST_SECRET
from tests.ports import free_port


class System:
    """Everything `frontdoor dev` runs, with handles to break each part."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.temporal = EmbeddedTemporal(
            state_dir=state, port=free_port(), ui_port=free_port(), namespace="default"
        )
        self.postgres = EmbeddedPostgres(data_dir=state / "postgres")
        self.api_port = free_port()
        self.database_url = ""
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def settings(self) -> Settings:
        return Settings(auth_secret=TEST_SECRET, state_dir=self.state, dev_mode=True)

    def env(self) -> dict[str, str]:
        # Worker tuning passes through (the benchmark compares settings); nothing else does.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("FRONTDOOR_") or k.startswith("FRONTDOOR_WORKER_")
        }
        env.update(
            FRONTDOOR_TEMPORAL_ADDRESS=self.temporal.address,
            FRONTDOOR_DATABASE_URL=self.database_url,
            FRONTDOOR_AUTH_SECRET=TEST_SECRET.get_secret_value(),
            FRONTDOOR_STATE_DIR=str(self.state),
            FRONTDOOR_API_PORT=str(self.api_port),
            FRONTDOOR_DEV_MODE="true",
            FRONTDOOR_LOG_LEVEL="WARNING",
        )
        return env

    async def start(self) -> None:
        client = await self.temporal.start()
        await ensure_search_attributes(client, "default")
        self.database_url = await self.postgres.start()
        await migrate(self.database_url)
        self.start_child("worker")
        self.start_child("api")
        await self.wait_ready()

    def start_child(self, role: str, env: dict[str, str] | None = None) -> None:
        log = (self.state / f"{role}.log").open("ab")
        self.children[role] = subprocess.Popen(
            [sys.executable, "-m", "cli.main", role],
            env={**self.env(), **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill_child(self, role: str) -> None:
        proc = self.children.pop(role)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    async def wait_ready(self, within: float = 60) -> None:
        async with httpx.AsyncClient() as http:
            for _ in range(int(within / 0.25)):
                try:
                    if (await http.get(f"{self.base_url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.25)
        raise AssertionError("the system did not become ready")

    def stop_postgres(self) -> None:
        self._pg_ctl(["-w", "-m", "fast", "stop"])

    def start_postgres(self) -> None:
        socket_dir = self.state / "postgres"
        self._pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(socket_dir / "log"), "start"]
        )

    def _pg_ctl(self, args: list[str]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver._commands import pg_ctl  # type: ignore[attr-defined]
        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(args, pgdata=self.state / "postgres", user=user, timeout=30)

    async def restart_temporal(self, down_for: float) -> None:
        self.temporal.stop()
        await asyncio.sleep(down_for)
        await self.temporal.start()

    def stop(self) -> None:
        for role in list(self.children):
            proc = self.children.pop(role)
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.postgres.stop()
        if (self.state / "postgres" / "postmaster.pid").exists():
            # Restarted by a fault test with pg_ctl, which pgserver's handle does not know about.
            with contextlib.suppress(Exception):
                self.stop_postgres()
        self.temporal.stop()
