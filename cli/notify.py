"""`frontdoor notifier` (the outbox dispatcher) and `frontdoor directory set|list|remove` (the
mailboxes notifications go to). Registered on the main app by cli/main.py.

Each directory command opens its own connection to FRONTDOOR_DATABASE_URL and closes it. This
module does not import cli/main.py: `python -m cli.main` runs that module as __main__,
and importing it again from here would build the app twice.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import asyncpg
import typer

from core.logs import configure_logging
from core.settings import Settings, get_settings
from store import directory_entry as directory_store
from store import notification as notification_store
from store.directory_entry import DirectoryEntry, EntryKind, InvalidEntryError

T = TypeVar("T")

directory_app = typer.Typer(
    name="directory",
    help=(
        "Who receives notifications: a mailbox per team (its own inbox, an agency's duty "
        "mailbox, `referrer` for the outbound mailbox that tells referrers), per role in a team "
        "(team_manager, service_manager, head_of_service) and per member of staff (reminders)."
    ),
    no_args_is_help=True,
)

TeamOption = Annotated[
    str | None,
    typer.Option(help="a team: front_door_practitioners, agency:police, referrer, ..."),
]
RoleOption = Annotated[
    str | None,
    typer.Option(help="a role in the team (team_manager, ...); leave out for the team's own"),
]
UserOption = Annotated[
    str | None, typer.Option(help="a member of staff's user id, for reminders to an assignee")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _database_url() -> str:
    settings = get_settings()
    if settings.database_url is None:
        raise _fail("set FRONTDOOR_DATABASE_URL to the Front Door database")
    return settings.database_url


def _with_connection(work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def main() -> T:
        conn = await asyncpg.connect(_database_url())
        try:
            return await work(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(main())
    except (OSError, asyncpg.PostgresError) as err:
        raise _fail(f"the database could not be used: {type(err).__name__}: {err}") from err


def _key(team: str | None, role: str | None, user: str | None) -> tuple[EntryKind, str]:
    if (team is None) == (user is None):
        raise _fail("give exactly one of --team or --user")
    if user is not None:
        if role is not None:
            raise _fail("--role goes with --team; a user's entry has no role")
        return EntryKind.user, user
    assert team is not None
    return EntryKind.team, team


@directory_app.command("set")
def set_entry(
    mailbox: Annotated[str, typer.Option(help="where the emails go, e.g. tm@council.example")],
    team: TeamOption = None,
    role: RoleOption = None,
    user: UserOption = None,
    digest: Annotated[
        bool, typer.Option("--digest/--no-digest", help="one email a day instead of one each")
    ] = False,
    requeue: Annotated[
        bool,
        typer.Option(
            "--requeue/--no-requeue",
            help="send again the notifications that failed for want of this entry",
        ),
    ] = True,
) -> None:
    """Add a mailbox to the directory, or change an entry's mailbox or digest choice."""
    kind, name = _key(team, role, user)
    try:
        entry = DirectoryEntry(kind=kind, name=name, role=role, mailbox=mailbox, digest=digest)
        directory_store.check_entry(entry)
    except InvalidEntryError as err:
        raise _fail(str(err)) from err

    async def work(conn: asyncpg.Connection) -> int:
        async with conn.transaction():
            await directory_store.set_entry(conn, entry)
            if not requeue:
                return 0
            return await notification_store.requeue_no_recipient(conn, entry, now=datetime.now(UTC))

    requeued = _with_connection(work)
    typer.echo(f"set {entry.describe()} -> {entry.mailbox}{' (daily digest)' if digest else ''}")
    if requeued:
        typer.echo(f"requeued {requeued} undeliverable notification(s)")


@directory_app.command("list")
def list_entries() -> None:
    """List every directory entry."""
    entries = _with_connection(directory_store.list_entries)
    if not entries:
        typer.echo("the directory is empty: every notification would fail as no_recipient")
        return
    rows = [("KIND", "NAME", "ROLE", "MAILBOX", "DIGEST")] + [
        (e.kind.value, e.name, e.role or "-", e.mailbox, "yes" if e.digest else "no")
        for e in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo(
            "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        )


@directory_app.command("remove")
def remove_entry(team: TeamOption = None, role: RoleOption = None, user: UserOption = None) -> None:
    """Remove an entry; notifications for it then fail as no_recipient until one is set."""
    kind, name = _key(team, role, user)

    async def work(conn: asyncpg.Connection) -> bool:
        return await directory_store.remove_entry(conn, kind, name, role)

    if not _with_connection(work):
        raise _fail("no such directory entry")
    typer.echo("removed")


def notifier() -> None:
    """Deliver the notification outbox by email (SMTP from FRONTDOOR_SMTP_*) until stopped."""
    from notifier.dispatcher import run_notifier

    settings: Settings = get_settings()
    if settings.database_url is None:
        raise _fail("frontdoor notifier needs FRONTDOOR_DATABASE_URL (`frontdoor dev` sets it)")
    configure_logging(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_notifier(settings, stop)

    try:
        asyncio.run(main())
    except RuntimeError as err:
        raise _fail(str(err)) from err
