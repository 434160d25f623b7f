"""`frontdoor reset`: re-run a case from a workflow task after a fix. The audit trail must be
writable before the case is touched (an unaudited reset is not done), and the new run id is
printed as soon as there is one, whatever then happens to the audit entry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from temporalio.service import RPCError

from cli.engineer import done, engineer_client, engineer_settings
from core.settings import Settings
from domain.audit import AuditEvent
from workers.diagnose import to_workflow_id
from workers.reset import ResetError, last_good_task, reset_case

if TYPE_CHECKING:
    import asyncpg


def reset(
    case: Annotated[str, typer.Argument(help="a referral id or workflow id")],
    reason: Annotated[str, typer.Option(help="why (kept in Temporal and the audit trail)")],
    to: Annotated[str, typer.Option(help="last-good, or the id of a workflow task's end event")] = (
        "last-good"
    ),
    by: Annotated[str | None, typer.Option(help="who is resetting (default: $USER)")] = None,
) -> None:
    """Reset a case to re-run from a workflow task (after a fix); prints the new run id."""
    import getpass

    settings = engineer_settings()
    if not reason.strip():
        raise typer.BadParameter("say why the case is being reset", param_hint="--reason")
    actor = by or getpass.getuser()

    async def main() -> int:
        import asyncpg

        # The audit must be writable before the case is touched: an unaudited reset is not done.
        try:
            audit = await _audit_connection(settings)
        except (OSError, asyncpg.PostgresError, ResetError) as err:
            typer.echo(f"error: nothing was reset: {err}", err=True)
            return 1
        try:
            client = await engineer_client(settings)
            workflow_id = to_workflow_id(case)
            try:
                event_id = (
                    await last_good_task(client, workflow_id) if to == "last-good" else int(to)
                )
                run_id = await reset_case(client, workflow_id, event_id, reason)
            except (ResetError, ValueError, RPCError) as err:
                typer.echo(f"error: nothing was reset: {err}", err=True)
                return 1
            typer.echo(run_id)  # the case carries on there, whatever happens to the audit
            try:
                await _audit_reset(audit, workflow_id, run_id, event_id, reason, actor)
            except (OSError, asyncpg.PostgresError) as err:
                typer.echo(
                    f"error: the case was reset (new run {run_id}) but the audit could not be "
                    f"written ({err}); add the case_reset entry by hand",
                    err=True,
                )
                return 1
            return 0
        finally:
            await audit.close()

    done(asyncio.run(main()))


async def _audit_connection(settings: Settings) -> asyncpg.Connection:
    """A connection that may write the audit trail, or ResetError saying what to set."""
    import asyncpg

    if settings.database_url is None:
        raise ResetError(
            "every reset is written to the audit trail: set FRONTDOOR_DATABASE_URL "
            "(next to `frontdoor dev`, run it while `frontdoor dev` is up)"
        )
    conn = await asyncpg.connect(settings.database_url)
    allowed = await conn.fetchval("SELECT has_table_privilege('audit_event', 'INSERT')")
    if not allowed:
        await conn.close()
        raise ResetError("this database login may not write audit_event (docs/security.md)")
    return conn


async def _audit_reset(
    conn: asyncpg.Connection,
    workflow_id: str,
    run_id: str,
    event_id: int,
    reason: str,
    actor: str,
) -> None:
    from store.audit_event import insert_audit_event

    await insert_audit_event(
        conn,
        AuditEvent(
            workflow_id=workflow_id,
            step_key=f"reset/{run_id}",
            kind="case_reset",
            actor=actor,
            occurred_at=datetime.now(UTC),
            details={"reason": reason, "to_event": event_id, "new_run_id": run_id},
        ),
    )
