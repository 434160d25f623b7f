"""The load generator: simulated staff and partners driving contacts through the HTTP API from
intake to a closed case, the way the front door works them, while measuring every request.

Every intake is a contact: the referrer is acknowledged (unless they cannot be reached), the MASH
decision closes it or makes it a referral (whose response is decided then, or next in a
referral decision), the referrer is told the outcome, and assessment and section 47 cases are
handed over to the receiving team once the child is seen. Every screening and MASH decision
carries an exploitation screening; where it finds significant risk the MACE discussion is held
and its disruption actions done. Each contact is about a different child (names, dates of birth
and addresses drawn for the run), so no intake meets an open case.

Every write carries an idempotency key, and every request is retried through outages (503,
connection refused), so a fault mid-run must cost time, never a referral, a check or a decision.
At the end each case is checked: closed, with exactly the tasks its path should have made.

The run is here; the paths in `cli.load_paths`, the children and intakes in `cli.load_cases`,
the measured client and the report in `cli.load_client`, the walk and its checks in
`cli.load_walk`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import httpx

from api.auth import StaffRole, User, issue_token
from cli.load_client import Client, Report
from cli.load_paths import Plan, draw_plans, path_name
from cli.load_walk import Walker
from core.settings import Settings
from domain.tasks import Agency


def tokens(settings: Settings) -> dict[str, str]:
    people = {
        "practitioner": User(
            user_id="load.practitioner", name="Load", roles=[StaffRole.practitioner]
        ),
        # The MASH manager (who also acts on the exploitation team's MACE tasks).
        "manager": User(user_id="load.manager", name="Load", roles=[StaffRole.manager]),
        # The receiving team's social worker (a practitioner may work its tasks).
        "receiving": User(user_id="load.receiving", name="Load", roles=[StaffRole.practitioner]),
    }
    for agency in Agency:
        people[agency.value] = User(
            user_id=f"load.{agency.value}", name="Load", roles=[StaffRole.agency], agency=agency
        )
    return {name: issue_token(settings, user) for name, user in people.items()}


async def run_load(
    base_url: str,
    settings: Settings,
    *,
    referrals: int,
    concurrency: int,
    seed: int,
    transport: httpx.AsyncBaseTransport | None = None,
    walked: Callable[[], None] | None = None,
) -> Report:
    """Drive `referrals` cases to closure with `concurrency` at a time; check every one.
    `walked` is called when every case has closed, before the checks (a benchmark's stopwatch)."""
    plans = draw_plans(referrals, seed)
    report = Report(referrals=referrals, seconds=0.0)
    report.paths.update(path_name(plan) for plan in plans)
    limits = httpx.Limits(
        max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2
    )
    async with httpx.AsyncClient(
        base_url=base_url, timeout=60, limits=limits, transport=transport
    ) as http:
        walker = Walker(
            Client(http, report),
            tokens(settings),
            run=f"load-{seed}-{uuid.uuid4().hex[:8]}",
        )
        gate = asyncio.Semaphore(concurrency)
        done: list[tuple[str, Plan]] = []

        async def one(n: int) -> None:
            async with gate:
                try:
                    done.append((await walker.walk(n, plans[n]), plans[n]))
                except Exception as err:  # every failure is reported, none hidden
                    report.problems.append(f"referral {n}: {err}")

        started = time.monotonic()
        await asyncio.gather(*(one(n) for n in range(referrals)))
        report.seconds = time.monotonic() - started
        if walked is not None:
            walked()
        for referral_id, plan in done:
            report.problems += await walker.check(referral_id, plan)
    return report
