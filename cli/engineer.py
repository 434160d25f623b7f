"""Engineers' commands: replay cases against the current code, export histories, find stuck
cases and say why, and describe one case (`reset` is in cli/case_reset.py), with the settings and
the Temporal client they share. They all use the same data converter and sandbox as the worker.
The two that show a case's data to a person (`describe`, `history export`) write who did it to
`access_event` first, as the API does for its reads."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from uuid import UUID

import typer
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError

from cli.dev import DEV_DATABASE_URL_FILE
from core.logs import configure_logging
from core.settings import Settings, get_settings
from core.temporal import connect
from workers.diagnose import (
    OPEN_REFERRALS,
    StuckReason,
    failure_line,
    find_stuck,
    queue_health,
    to_workflow_id,
)
from workers.replay import ReplayOutcome, history_from_file, keys_lacking, replay_all

if TYPE_CHECKING:
    pass

history_app = typer.Typer(help="Case histories.", no_args_is_help=True)


def done(code: int = 0) -> NoReturn:
    """Leave at once once the answer is printed. The Temporal client's native runtime can abort
    the interpreter while it shuts down ("PyGILState_Release"), turning a good run into a crash;
    nothing is left to clean up by then."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    done(2)


def engineer_settings() -> Settings:
    """The settings; next to `frontdoor dev` (no Temporal address set) also what its state folder
    holds: the development payload key and, while it runs, the app's database URL. Elsewhere a
    missing key is one line naming the variable, not a traceback."""
    settings = get_settings()
    configure_logging(settings)
    embedded = settings.temporal_address is None
    update: dict[str, object] = {}
    if settings.payload_keys is None and not settings.dev_mode:
        # `frontdoor dev` made the key there (core/codec.py's development key file).
        if embedded and (settings.state_dir / "payload-keys").exists():
            update["dev_mode"] = True
        else:
            _fail(
                "set FRONTDOOR_PAYLOAD_KEYS to the keys the worker uses (id:base64key,...); next "
                f"to `frontdoor dev` they are read from its state folder ({settings.state_dir})"
            )
    url_file = settings.state_dir / DEV_DATABASE_URL_FILE
    if settings.database_url is None and embedded and url_file.exists():
        update["database_url"] = url_file.read_text(encoding="utf-8").strip()
    return settings.model_copy(update=update) if update else settings


async def engineer_client(settings: Settings) -> Client:
    # Unset means the embedded dev server of `frontdoor dev`.
    address = settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    try:
        return await connect(address, settings.temporal_namespace, settings)
    except RuntimeError as err:  # the SDK's "Failed client connect"
        hint = (
            "is `frontdoor dev` running? else set FRONTDOOR_TEMPORAL_ADDRESS"
            if settings.temporal_address is None
            else "check FRONTDOOR_TEMPORAL_ADDRESS and FRONTDOOR_TEMPORAL_TLS_*"
        )
        _fail(f"cannot reach Temporal at {address} ({hint}): {str(err).splitlines()[0]}")


By = Annotated[str | None, typer.Option(help="who is reading (default: the OS user)")]


async def _record_read(settings: Settings, route: str, workflow_id: str, by: str | None) -> None:
    """Write the read of a case's data to `access_event` before it happens, when the database
    is configured (without it, as on a laptop's `frontdoor dev` state, there is nowhere to)."""
    import getpass

    import asyncpg

    from store.access_event import record_access

    if settings.database_url is None:
        return
    prefix, _, tail = workflow_id.partition("-")
    try:
        referral_id = UUID(tail) if prefix == "referral" else None
    except ValueError:
        referral_id = None
    try:
        conn = await asyncpg.connect(settings.database_url)
        try:
            await record_access(
                conn, user_id=by or getpass.getuser(), roles=["engineer"], agency=None,
                method="CLI", route=route, referral_id=referral_id, task_id=None, status=200,
                client_ip=None,
            )  # fmt: skip
        finally:
            await conn.close()
    except (OSError, asyncpg.PostgresError) as err:
        # As the API withholds an answer it cannot audit, nothing is shown unrecorded.
        typer.echo(f"error: the read could not be written to the access audit ({err})", err=True)
        done(1)


def _parse_duration(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise typer.BadParameter("give a duration such as 30m, 2h or 1d")
    return timedelta(seconds=int(text[:-1]) * units[text[-1]])


def _print_outcomes(outcomes: list[ReplayOutcome], seconds: float) -> int:
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        typer.echo(f"FAILED {outcome.workflow_id} (run {outcome.run_id}): {outcome.failure}")
    typer.echo(
        f"replayed {len(outcomes)}, failed {len(failed)}, in {seconds:.1f}s"
        + ("" if failed else " - OK")
    )
    return 1 if failed else 0


def replay(
    case: Annotated[str | None, typer.Argument(help="a referral id or workflow id")] = None,
    query: Annotated[
        str | None, typer.Option(help="a visibility query; default: every open referral")
    ] = None,
    file: Annotated[
        list[Path] | None, typer.Option(help="history JSON files (as `history export` writes)")
    ] = None,
) -> None:
    """Replay cases against the current code; exit 1 on any non-determinism."""
    settings = engineer_settings()

    async def main() -> int:
        unreadable = {path: keys_lacking(path, settings) for path in file or []}
        for path, lacking in unreadable.items():
            if lacking:
                typer.echo(
                    f"FAILED {path.stem}: sealed with payload key {', '.join(lacking)}, which "
                    "FRONTDOOR_PAYLOAD_KEYS lacks (tests/histories/ is sealed with the tests' "
                    "key: `uv run pytest tests/workers/test_replay.py` replays it)"
                )
        if any(unreadable.values()):
            return 1
        histories: list[WorkflowHistory] = [history_from_file(path) for path in file or []]
        if case is not None or not file:
            client = await engineer_client(settings)
            if case is not None:
                histories.append(
                    await client.get_workflow_handle(to_workflow_id(case)).fetch_history()
                )
            else:
                async for execution in client.list_workflows(query or OPEN_REFERRALS):
                    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
                    histories.append(await handle.fetch_history())
        started = time.monotonic()
        outcomes: list[ReplayOutcome] = []
        with typer.progressbar(histories, label="replaying", file=None) as bar:
            for history in bar:
                outcomes += await replay_all([history], settings=settings)
        return _print_outcomes(outcomes, time.monotonic() - started)

    done(asyncio.run(main()))


@history_app.command("export")
def export_history(
    case: Annotated[str, typer.Argument(help="a referral id or workflow id")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="folder to write <workflow id>.json into (default: histories/ in the state "
            "folder, private to you: the file holds a child's case, sealed with the live key)"
        ),
    ] = None,
    by: By = None,
) -> None:
    """Save a case's history as JSON (`temporal workflow show --output json` format); the export
    is written to the access audit."""
    settings = engineer_settings()

    async def main() -> Path:
        client = await engineer_client(settings)
        workflow_id = to_workflow_id(case)
        await _record_read(settings, "cli:history export", workflow_id, by)
        try:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
        except RPCError as err:
            _fail(f"{workflow_id}: {err.message}")
        folder = out if out is not None else settings.state_dir / "histories"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"{workflow_id}.json"
        path.write_text(history.to_json(), encoding="utf-8")
        return path

    typer.echo(f"wrote {asyncio.run(main())}")
    done()


def stuck(
    older_than: Annotated[
        str, typer.Option(help="quiet for longer than this, with no task open: 30m, 2h, 1d")
    ] = "2h",
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """List open cases that are not progressing, with the reason for each."""
    settings = engineer_settings()
    quiet_for = _parse_duration(older_than)

    async def main() -> tuple[dict[str, str] | None, list[dict[str, str]]]:
        client = await engineer_client(settings)
        now = datetime.now(UTC)
        # First the queue: with no worker taking tasks, every case waits, whatever else it shows.
        queue = (await queue_health(client, settings.task_queue, now=now)).problem()
        found = await find_stuck(client, now=now, quiet_for=quiet_for)
        return (None if queue is None else _row(queue)), [_row(r) for r in found]

    queue, rows = asyncio.run(main())
    if as_json:
        typer.echo(json.dumps(([queue] if queue else []) + rows, indent=2))
        done()
    if queue is not None:
        typer.echo(f"{queue['reason']}: {queue['detail']}")
    if not rows:
        typer.echo("no stuck cases" if queue is None else "no case shows a reason of its own")
    else:
        width = max(len(r["workflow_id"]) for r in rows)
        typer.echo(f"{'CASE':<{width}}  {'REASON':<24}  DETAIL")
        for row in rows:
            typer.echo(f"{row['workflow_id']:<{width}}  {row['reason']:<24}  {row['detail']}")
    done()


def _row(reason: StuckReason) -> dict[str, str]:
    return {"workflow_id": reason.workflow_id, "reason": reason.reason, "detail": reason.detail}


def describe(
    case: Annotated[str, typer.Argument(help="a referral id or workflow id")], by: By = None
) -> None:
    """A case's state, its pending activities, and where to see it in the Temporal UI; the read
    is written to the access audit."""
    from workflows.referral import ReferralWorkflow

    settings = engineer_settings()

    async def main() -> None:
        client = await engineer_client(settings)
        workflow_id = to_workflow_id(case)
        await _record_read(settings, "cli:describe", workflow_id, by)
        handle = client.get_workflow_handle(workflow_id)
        try:
            description = await handle.describe()
        except RPCError as err:
            _fail(f"{workflow_id}: {err.message}")
        typer.echo(f"case      {workflow_id} (run {description.run_id})")
        typer.echo(f"status    {description.status.name if description.status else 'unknown'}")
        ui = f"{settings.temporal_ui_url()}/namespaces/{client.namespace}/workflows"
        typer.echo(f"ui        {ui}/{workflow_id}/{description.run_id}/history")
        for pending in description.raw_description.pending_activities:
            failure = await failure_line(client, pending.last_failure)  # decrypted
            typer.echo(
                f"activity  {pending.activity_type.name} attempt {pending.attempt} {failure}"
            )
        try:
            state = await handle.query(ReferralWorkflow.state, rpc_timeout=timedelta(seconds=10))
        except RPCError as err:
            typer.echo(f"state     not available ({err.message}); is a worker running?")
            return
        typer.echo(state.model_dump_json(indent=2, exclude={"timeline"}))

    asyncio.run(main())
    done()
