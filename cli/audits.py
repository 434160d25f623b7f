"""`frontdoor audits escalate`: the daily check that escalates overdue learning actions, as every
task is escalated until done (docs/quality-assurance.md). Each open action past its due date
gets one notification a day through the outbox, to the front door managers' rung its lateness
has reached (team manager, then service manager, then head of service); running the check again
the same day queues nothing more. Registered on the main app by cli/main.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated

import asyncpg
import typer

from core.logs import configure_logging, get_logger
from core.settings import get_settings
from domain.calendar import LONDON
from domain.quality import escalation_role
from domain.records import NotifyInput
from domain.tasks import Team
from store import learning_action
from store import notification as notification_store
from store.pool import Conn

log = get_logger(__name__)

audits_app = typer.Typer(
    name="audits", help="The case audit programme's daily checks.", no_args_is_help=True
)


async def escalate(conn: Conn, today: date, now: datetime) -> int:
    """Queue today's escalation of every overdue learning action; return how many were new."""
    queued = 0
    for action in await learning_action.overdue_actions(conn, today):
        days = (today - action.due_on).days
        role = escalation_role(days)
        notice = NotifyInput(
            workflow_id=f"learning-action-{action.action_id}",
            referral_id=action.referral_id,
            step_key=f"overdue/{today.isoformat()}",
            kind="learning_action_overdue",
            recipient_team=Team.managers.value,
            recipient_role=role.value,
            occurred_at=now,
            payload={
                "step": "learning_action",
                "due_at": action.due_on,
                "level": days,
                "role": role,
            },
        )
        existing = await conn.fetchval(
            "SELECT 1 FROM notification WHERE workflow_id = $1 AND step_key = $2",
            notice.workflow_id, notice.step_key,
        )  # fmt: skip
        await notification_store.queue_notification(conn, notice)
        if existing is None:
            queued += 1
            log.info("learning_action_escalated", action_id=str(action.action_id), role=role.value)
    return queued


@audits_app.command("escalate")
def escalate_command(
    on: Annotated[
        datetime | None, typer.Option(help="the day to check, London (default today)")
    ] = None,
) -> None:
    """Escalate every open learning action past its due date (run once a day; safe to repeat)."""
    settings = get_settings()
    configure_logging(settings)
    if settings.database_url is None:
        typer.echo("error: set FRONTDOOR_DATABASE_URL to the Front Door database", err=True)
        raise typer.Exit(code=1)
    dsn = settings.database_url
    now = datetime.now(UTC)
    today = on.date() if on is not None else now.astimezone(LONDON).date()

    async def run() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            async with conn.transaction():
                return await escalate(conn, today, now)
        finally:
            await conn.close()

    queued = asyncio.run(run())
    typer.echo(f"{queued} overdue learning action(s) escalated for {today}")
