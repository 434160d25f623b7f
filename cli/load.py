"""`frontdoor load`: drive the running system through its HTTP API with simulated staff."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from core.logs import configure_logging
from core.settings import get_settings


def load(
    referrals: Annotated[int, typer.Option(min=1, help="how many referrals to take to closure")],
    concurrency: Annotated[int, typer.Option(min=1, max=500, help="cases worked at once")] = 20,
    seed: Annotated[int, typer.Option(help="draws the paths; the same seed, the same work")] = 1,
    url: Annotated[str | None, typer.Option(help="the API (default: the configured one)")] = None,
) -> None:
    """Take contacts from intake to a closed case through the API (the referrer acknowledged
    and told, MASH and referral decisions of every kind, strategy discussions, visits, the
    handover, assessments and section 47 conferences, exploitation screenings and MACE
    discussions); print throughput, latency per endpoint and errors, and check every case
    closed with exactly its expected tasks."""
    from cli.loadgen import run_load

    settings = get_settings()
    configure_logging(settings)
    report = asyncio.run(
        run_load(
            url or settings.api_url(),
            settings,
            referrals=referrals,
            concurrency=concurrency,
            seed=seed,
        )
    )
    for line in report.lines():
        typer.echo(line)
    raise typer.Exit(1 if report.problems else 0)
