"""The `frontdoor` command."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Annotated

import typer

from cli.embedded import EmbeddedServerError, ensure_port_free
from core.logs import configure_logging
from core.settings import Settings, get_settings

app = typer.Typer(
    name="frontdoor",
    help="Front Door: a children's safeguarding front door on Temporal.",
    no_args_is_help=True,
    add_completion=False,
)


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings)
    return settings


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


@app.command()
def dev() -> None:
    """Run the whole system on embedded servers: Temporal, PostgreSQL, the worker and the API."""
    from cli.dev import missing_tools, run_dev

    settings = _settings()
    problem = missing_tools(settings)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=2)
    raise typer.Exit(code=asyncio.run(run_dev(settings)))


@app.command()
def worker() -> None:
    """Run the worker against the configured Temporal and PostgreSQL."""
    from workers.worker import run_worker

    settings = _settings()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    try:
        asyncio.run(main())
    except RuntimeError as err:
        raise _fail(str(err)) from err


@app.command()
def api() -> None:
    """Run the HTTP API against the configured Temporal and PostgreSQL."""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    try:
        ensure_port_free(settings.api_host, settings.api_port, "FRONTDOOR_API_PORT")
        application = create_app(settings)
    except (EmbeddedServerError, RuntimeError) as err:
        raise _fail(str(err)) from err
    uvicorn.run(application, host=settings.api_host, port=settings.api_port, log_config=None)


@app.command()
def migrate() -> None:
    """Apply the database migrations as the schema's owner (FRONTDOOR_MIGRATE_DATABASE_URL, else
    FRONTDOOR_DATABASE_URL), then make FRONTDOOR_DATABASE_URL's login role, if it is another, a
    member of `frontdoor_app` (created if missing)."""
    from store.roles import migrate_as_owner

    settings = _settings()
    owner_url = settings.migrate_database_url or settings.database_url
    if owner_url is None:
        raise _fail("set FRONTDOOR_MIGRATE_DATABASE_URL (the schema's owner) to migrate")
    applied = asyncio.run(migrate_as_owner(owner_url, settings.database_url))
    typer.echo(f"applied {len(applied)} migration(s): {applied}" if applied else "up to date")


@app.command()
def token(
    user: Annotated[str, typer.Option(help="the user id the token names")],
    role: Annotated[
        list[str],
        typer.Option(help="practitioner, manager, agency, engineer or records_officer"),
    ],
    agency: Annotated[str | None, typer.Option(help="for role agency: police, health, ...")] = None,
    name: Annotated[str | None, typer.Option(help="display name (default: the user id)")] = None,
    hours: Annotated[float, typer.Option(help="how long the token is valid")] = 12.0,
) -> None:
    """Print a signed staff token for development (the key from settings or the state folder)."""
    from datetime import timedelta

    from pydantic import ValidationError

    from api.auth import User, issue_token

    settings = get_settings()
    if not 0 < hours <= settings.max_token_hours:
        raise _fail(
            f"--hours must be more than 0 and at most {settings.max_token_hours:g} "
            "(FRONTDOOR_MAX_TOKEN_HOURS): the API refuses a longer-lived token"
        )
    try:
        person = User(user_id=user, name=name or user, roles=role, agency=agency)  # type: ignore[arg-type]
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"]
            for e in err.errors()
        )
        raise _fail(problems) from err
    typer.echo(issue_token(settings, person, ttl=timedelta(hours=hours)))


from cli import case_reset, engineer, load  # noqa: E402 - the engineers' commands join the app

app.command()(engineer.replay)
app.command()(engineer.stuck)
app.command()(case_reset.reset)
app.command()(engineer.describe)
app.add_typer(engineer.history_app, name="history")
app.command()(load.load)


# Notification delivery (issue 9): the dispatcher and the directory of mailboxes.
from cli.notify import directory_app, notifier  # noqa: E402 - commands register last

app.add_typer(directory_app, name="directory")
app.command()(notifier)


# The case record's retention (issue 14): legal holds, disposal, re-sealing.
from cli.records import records_app  # noqa: E402 - commands register last

app.add_typer(records_app, name="records")

from cli.audits import audits_app  # noqa: E402 - the case audits' daily check (issue 18)

app.add_typer(audits_app, name="audits")

from cli.policy import policy_app  # noqa: E402 - timescale policy files (issue 15)

app.add_typer(policy_app, name="policy")


if __name__ == "__main__":
    sys.exit(app())
