"""`frontdoor records hold | lift | holds | dispose | reseal`: the case record's legal holds, its
disposal under the retention schedule, and its re-sealing after a payload key is added
(docs/records.md). Registered on the main app by cli/main.py.

Each command opens its own connection to FRONTDOOR_DATABASE_URL and a transaction per change:
a hold and its audit row together, each disposal together, each batch of re-sealed entries.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar
from uuid import UUID

import asyncpg
import typer

from cli.record_keeping import (
    HoldError,
    dispose_due,
    lift_holds,
    place_holds,
    reseal_all,
    schedule_of,
)
from core.codec import PayloadKeyError
from core.logs import configure_logging
from core.sealing import SealError, record_sealer
from core.settings import Settings, get_settings
from domain.retention import london_day
from store import legal_hold

T = TypeVar("T")

records_app = typer.Typer(
    name="records",
    help=(
        "The case record: legal holds, disposal under the retention schedule "
        "(FRONTDOOR_RETENTION_YEARS_AFTER_*), re-sealing after a payload key is added."
    ),
    no_args_is_help=True,
)

By = Annotated[str, typer.Option("--by", help="who is doing this (kept in the audit trail)")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings)
    if settings.database_url is None:
        raise _fail("set FRONTDOOR_DATABASE_URL to the Front Door database")
    return settings


def _run(settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def main() -> T:
        assert settings.database_url is not None
        conn = await asyncpg.connect(settings.database_url)
        try:
            return await work(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(main())
    except (HoldError, SealError, PayloadKeyError) as err:
        raise _fail(str(err)) from err
    except (OSError, asyncpg.PostgresError) as err:
        raise _fail(f"the database could not be used: {type(err).__name__}: {err}") from err


@records_app.command()
def hold(
    reason: Annotated[
        str,
        typer.Option(
            help="why, naming the instruction (e.g. an inquiry's moratorium), not the child; "
            "kept on the hold, not in the audit trail"
        ),
    ],
    by: By,
    referral: Annotated[
        UUID | None, typer.Option(help="hold this referral's record", metavar="REFERRAL_ID")
    ] = None,
    child_of: Annotated[
        UUID | None,
        typer.Option(
            help="hold every referral, now and to come, of this referral's child",
            metavar="REFERRAL_ID",
        ),
    ] = None,
) -> None:
    """Place a legal hold: the record is not disposed of until the hold is lifted."""
    if (referral is None) == (child_of is None):
        raise _fail("give exactly one of --referral or --child-of")
    settings = _settings()
    referral_id = referral or child_of
    assert referral_id is not None

    async def work(conn: asyncpg.Connection) -> list[legal_hold.LegalHold]:
        return await place_holds(
            conn,
            referral_id,
            whole_child=child_of is not None,
            reason=reason,
            by=by,
            at=datetime.now(UTC),
        )

    for placed in _run(settings, work):
        typer.echo(f"placed hold {placed.hold_id} on {_covers(placed)}")


@records_app.command()
def lift(
    hold_ids: Annotated[list[int], typer.Argument(help="the holds to lift", metavar="HOLD_ID...")],
    by: By,
) -> None:
    """Lift legal holds (all or none); lifted holds stay on record with who lifted them."""
    settings = _settings()

    async def work(conn: asyncpg.Connection) -> list[legal_hold.LegalHold]:
        return await lift_holds(conn, hold_ids, by=by, at=datetime.now(UTC))

    for lifted in _run(settings, work):
        typer.echo(f"lifted hold {lifted.hold_id} on {_covers(lifted)}")


@records_app.command()
def holds(
    include_lifted: Annotated[bool, typer.Option("--all", help="list lifted holds too")] = False,
) -> None:
    """List the legal holds in force (with --all, lifted ones too)."""
    settings = _settings()

    async def work(conn: asyncpg.Connection) -> list[legal_hold.LegalHold]:
        return await legal_hold.list_holds(conn, include_lifted=include_lifted)

    found = _run(settings, work)
    if not found:
        typer.echo("no legal holds" if include_lifted else "no legal holds in force")
        return
    rows = [("HOLD", "COVERS", "PLACED", "LIFTED", "REASON")] + [
        (
            str(h.hold_id),
            _covers(h),
            f"{london_day(h.placed_at).isoformat()} by {h.placed_by}",
            f"{london_day(h.lifted_at).isoformat()} by {h.lifted_by}" if h.lifted_at else "-",
            h.reason,
        )
        for h in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]))


def _covers(h: legal_hold.LegalHold) -> str:
    if h.scope is legal_hold.HoldScope.referral:
        return f"referral {h.referral_id}"
    return f"every referral of the child of referral {h.placed_from}"


@records_app.command()
def dispose(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what is due and change nothing")
    ] = False,
    by: Annotated[
        str | None, typer.Option(help="who runs the disposal (default: the login name)")
    ] = None,
) -> None:
    """Dispose of every closed case record due under the retention schedule and not held.

    Its entries and case links are deleted, the people only disposed cases name (and the places,
    peer groups and adults of concern no remaining case is linked to) deleted, the child's
    matching data cleared, and an audit row names the referral, the rule and the counts. Then
    the people and links that records disposed of earlier still have go the same way.
    """
    settings = _settings()
    now = datetime.now(UTC)

    async def work(conn: asyncpg.Connection) -> str:
        return await dispose_due(
            conn,
            schedule_of(settings),
            london_day(now),
            dry_run=dry_run,
            actor=by or _login(),
            at=now,
            say=typer.echo,
        )

    typer.echo(_run(settings, work))


@records_app.command()
def reseal(
    batch: Annotated[int, typer.Option(min=1, help="entries re-sealed per transaction")] = 500,
) -> None:
    """Re-seal every record entry under the current payload key; safe to stop and rerun.

    The current key is the first in FRONTDOOR_PAYLOAD_KEYS; every other listed key still opens.
    """
    settings = _settings()
    try:
        sealer = record_sealer(settings)
    except PayloadKeyError as err:
        raise _fail(str(err)) from err

    async def work(conn: asyncpg.Connection) -> str:
        return await reseal_all(conn, sealer, batch, say=typer.echo)

    typer.echo(_run(settings, work))


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "frontdoor records dispose"
