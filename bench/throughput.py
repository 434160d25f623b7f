"""Throughput and latency of the whole system against bare Temporal on the same machine, in one
run: the dev server on a SQLite file, embedded PostgreSQL, the worker and the API as processes.

    uv run python -m bench.throughput [--lifecycles 200] [--concurrency 20]

Prints figures; it asserts nothing (these machines are shared and noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.worker import Worker
from tests.reliability.system import System

from bench.bare import BareLifecycle, BareWorkflow, NoOpUpdates, Step, no_op
from frontdoor.cli.loadgen import intake, run_load, tokens
from frontdoor.workers.replay import history_from_file, replay_all
from frontdoor.workers.temporal import connect
from frontdoor.workers.worker import sandbox_runner

HISTORIES = Path(__file__).parent.parent / "tests" / "histories"


def q(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100)[pct - 1] if len(values) > 1 else values[0]


async def rate(total: int, concurrency: int, one: Callable[[int], Awaitable[object]]) -> float:
    """Items per second, `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def run(i: int) -> None:
        async with gate:
            await one(i)

    started = time.monotonic()
    await asyncio.gather(*(run(i) for i in range(total)))
    return total / (time.monotonic() - started)


async def bare_update_latencies(client: Client, users: int, each: int) -> list[float]:
    handle = await client.start_workflow(
        NoOpUpdates.run, Step(n=0), id=f"bench-updates-{uuid.uuid4()}", task_queue="bench-bare"
    )
    latencies: list[float] = []

    async def user() -> None:
        for n in range(each):
            started = time.monotonic()
            await handle.execute_update(NoOpUpdates.poke, Step(n=n))
            latencies.append(time.monotonic() - started)

    await asyncio.gather(*(user() for _ in range(users)))
    await handle.signal(NoOpUpdates.finish)
    return latencies


async def bare_lifecycle(client: Client, steps: int) -> None:
    handle = await client.start_workflow(
        BareLifecycle.run, Step(n=steps), id=f"bench-life-{uuid.uuid4()}", task_queue="bench-bare"
    )
    for n in range(steps):
        await handle.execute_update(BareLifecycle.complete, Step(n=n))
    await handle.result()


async def main(lifecycles: int, concurrency: int, steps: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="frontdoor-bench-"))
    system = System(state)
    await system.start()
    try:
        client = await connect(system.temporal.address, "default", system.settings())
        async with Worker(
            client,
            task_queue="bench-bare",
            workflows=[BareWorkflow, BareLifecycle, NoOpUpdates],
            activities=[no_op],
            workflow_runner=sandbox_runner(),
            max_concurrent_workflow_tasks=concurrency * 2,
        ):
            baseline = await rate(
                lifecycles, concurrency,
                lambda i: client.execute_workflow(
                    BareWorkflow.run, Step(n=i), id=f"bench-bare-{uuid.uuid4()}",
                    task_queue="bench-bare",
                ),
            )  # fmt: skip
            update_rtt = await bare_update_latencies(client, concurrency, 10)
            bare_life = await rate(lifecycles, concurrency, lambda _: bare_lifecycle(client, steps))
        settings = system.settings()
        practitioner = tokens(settings)["practitioner"]
        async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as http:

            async def start_one(i: int) -> None:
                response = await http.post(
                    "/referrals",
                    json=intake(i, datetime.now(UTC)),
                    headers={"Authorization": f"Bearer {practitioner}"},
                )
                assert response.status_code == 201, response.text

            intake_rate = await rate(lifecycles, concurrency, start_one)
        report = await run_load(
            system.base_url, settings, referrals=lifecycles, concurrency=concurrency, seed=3
        )
        completions = [
            v for k, vs in report.latencies.items() if k.startswith("complete") for v in vs
        ]
        histories = [history_from_file(p) for p in sorted(HISTORIES.glob("*.json"))]
        started = time.monotonic()
        rounds = 3
        for _ in range(rounds):
            outcomes = await replay_all(histories, settings=system.settings())
            assert all(o.ok for o in outcomes)
        replay_rate = rounds * len(histories) / (time.monotonic() - started)
    finally:
        system.stop()
        shutil.rmtree(state, ignore_errors=True)

    intake_ratio = intake_rate / baseline
    print(f"machine: 2 cores; dev server on SQLite; {lifecycles} items, concurrency {concurrency}")
    print(f"baseline bare workflow (1 no-op activity):  {baseline:7.2f} /s")
    print(
        f"referral intake (POST /referrals):          {intake_rate:7.2f} /s"
        f"  ratio {intake_ratio:.2f}"
    )
    print(
        f"bare Update round trip:                     p50 {q(update_rtt, 50) * 1000:6.1f} ms"
        f"  p99 {q(update_rtt, 99) * 1000:6.1f} ms"
    )
    print(
        f"task completion round trip (HTTP):          p50 {q(completions, 50) * 1000:6.1f} ms"
        f"  p99 {q(completions, 99) * 1000:6.1f} ms"
        f"  p99 ratio {q(completions, 99) / q(update_rtt, 99):.2f}"
    )
    print(f"bare lifecycle ({steps} human steps):            {bare_life:7.2f} /s")
    print(
        f"referral lifecycles via API (load gen):     {report.per_second:7.2f} /s"
        f"  ratio {report.per_second / bare_life:.2f}  problems {len(report.problems)}"
    )
    print(f"replay:                                     {replay_rate:7.2f} histories/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Front Door throughput benchmark")
    parser.add_argument("--lifecycles", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    asyncio.run(main(args.lifecycles, args.concurrency, args.steps))
