"""Throughput and latency of the whole system against bare Temporal on the same machine, in one
run: the dev server on a SQLite file, embedded PostgreSQL, the worker and the API as processes.

    uv run python -m bench.throughput [--lifecycles 200] [--concurrency 20]

Prints figures; it asserts nothing (these machines are shared and noisy: compare ratios). With
the figures, the CPU each process used during the load, and how busy the whole machine was (a
busy machine means another program's load is in the figures).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from bench.bare import BareLifecycle, BareWorkflow, Done, NoOpUpdates, Step, no_op
from cli.load_cases import intake
from cli.load_client import Report
from cli.load_paths import draw_plans
from cli.loadgen import run_load, tokens
from core.settings import Settings
from core.temporal import connect
from tests.reliability.system import System
from workers.replay import history_from_file, replay_all
from workers.worker import sandbox_runner, worker_options

HISTORIES = Path(__file__).parent.parent / "tests" / "histories"
LOAD_SEED = 3  # the paths of the measured load


def completion_times(report: Report) -> list[float]:
    """Every task completion's round trip in a load run, whatever the task's kind."""
    return [v for k, vs in report.latencies.items() if k.startswith("complete") for v in vs]


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
    """Each user sends Updates to a no-op workflow of their own, back to back (as staff each
    work on their own cases)."""
    handles = [
        await client.start_workflow(
            NoOpUpdates.run, Step(n=0), id=f"bench-updates-{uuid.uuid4()}", task_queue="bench-bare"
        )
        for _ in range(users)
    ]
    latencies: list[float] = []

    async def user(handle: WorkflowHandle[NoOpUpdates, Done]) -> None:
        for n in range(each):
            started = time.monotonic()
            await handle.execute_update(NoOpUpdates.poke, Step(n=n))
            latencies.append(time.monotonic() - started)

    await asyncio.gather(*(user(handle) for handle in handles))
    for handle in handles:
        await handle.signal(NoOpUpdates.finish)
    return latencies


class CpuMeter:
    """CPU seconds used by each process of the system (with its children), and the machine's
    busy fraction, between `start` and `stop`."""

    def __init__(self, pids: dict[str, int], alone: set[str]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.alone = alone  # counted without their children
        self.used: dict[str, float] = {}
        self.busy = 0.0

    def _now(self) -> tuple[dict[str, float], float, float]:
        used = {}
        for name, process in self.processes.items():
            total = 0.0
            family = [] if name in self.alone else process.children(recursive=True)
            for p in [process, *family]:
                try:
                    times = p.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
            used[name] = total
        machine = psutil.cpu_times()
        return used, time.monotonic(), machine.idle + machine.iowait

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> None:
        used, at, idle = self._now()
        before, started, idle_before = self._start
        wall = at - started
        self.used = {name: used[name] - before[name] for name in used}
        self.wall = wall
        self.busy = 1 - (idle - idle_before) / (wall * (psutil.cpu_count() or 1))


async def bare_lifecycle(client: Client, steps: int) -> None:
    handle = await client.start_workflow(
        BareLifecycle.run, Step(n=steps), id=f"bench-life-{uuid.uuid4()}", task_queue="bench-bare"
    )
    for n in range(steps):
        await handle.execute_update(BareLifecycle.complete, Step(n=n))
    await handle.result()


@dataclass
class Figures:
    """One configuration's figures."""

    baseline: float
    update_rtt: list[float]
    bare_life: float
    intake: float
    lifecycles: float
    completions: list[float]
    problems: int
    replay: float
    meter: CpuMeter
    # Completion round trip (p50, p99) by number of concurrent users, fewer than `concurrency`.
    curve: dict[int, tuple[float, float]]


async def measure(
    system: System, sandbox: bool, lifecycles: int, concurrency: int, steps: int
) -> Figures:
    """Every figure with the worker (and the bare workflows' worker) running workflow code in
    Temporal's sandbox or not."""
    settings = system.settings()
    client = await connect(system.temporal.address, "default", settings)
    async with Worker(
        client,
        task_queue="bench-bare",
        workflows=[BareWorkflow, BareLifecycle, NoOpUpdates],
        activities=[no_op],
        workflow_runner=sandbox_runner() if sandbox else UnsandboxedWorkflowRunner(),
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
    practitioner = tokens(settings)["practitioner"]
    run = f"bench-intake-{uuid.uuid4().hex[:8]}"  # children of their own: no open case met
    async with httpx.AsyncClient(base_url=system.base_url, timeout=60) as http:

        async def start_one(i: int) -> None:
            response = await http.post(
                "/referrals",
                json=intake(i, datetime.now(UTC), run),
                headers={"Authorization": f"Bearer {practitioner}"},
            )
            assert response.status_code == 201, response.text

        intake_rate = await rate(lifecycles, concurrency, start_one)
    assert system.temporal.process is not None
    postmaster = int((system.state / "postgres" / "postmaster.pid").read_text().split()[0])
    meter = CpuMeter(
        {
            "temporal dev server": system.temporal.process.pid,
            "postgresql": postmaster,
            "worker": system.children["worker"].pid,
            "api": system.children["api"].pid,
            "load generator (this process)": psutil.Process().pid,
        },
        alone={"load generator (this process)"},
    )
    meter.start()
    report = await run_load(
        system.base_url,
        settings,
        referrals=lifecycles,
        concurrency=concurrency,
        seed=LOAD_SEED,
        walked=meter.stop,
    )
    curve = {}
    for users in (1, 5, 10):
        fewer = await run_load(
            system.base_url, settings, referrals=8 * users, concurrency=users, seed=users
        )
        times = completion_times(fewer)
        curve[users] = (q(times, 50), q(times, 99))
    histories = [history_from_file(p) for p in sorted(HISTORIES.glob("*.json"))]
    started = time.monotonic()
    rounds = 3
    for _ in range(rounds):
        outcomes = await replay_all(histories, settings=settings)
        assert all(o.ok for o in outcomes)
    return Figures(
        baseline=baseline,
        update_rtt=update_rtt,
        bare_life=bare_life,
        intake=intake_rate,
        lifecycles=report.per_second,
        completions=completion_times(report),
        problems=len(report.problems),
        replay=rounds * len(histories) / (time.monotonic() - started),
        meter=meter,
        curve=curve,
    )


def show(title: str, f: Figures, lifecycles: int) -> None:
    rtt, done = f.update_rtt, f.completions
    print(title)
    print(f"  baseline bare workflow (1 no-op activity):  {f.baseline:7.2f} /s")
    print(
        f"  referral intake (POST /referrals):          {f.intake:7.2f} /s"
        f"  ratio {f.intake / f.baseline:.2f}"
    )
    print(
        f"  bare Update round trip:                     p50 {q(rtt, 50) * 1000:6.1f} ms"
        f"  p99 {q(rtt, 99) * 1000:6.1f} ms"
    )
    print(
        f"  task completion round trip (HTTP):          p50 {q(done, 50) * 1000:6.1f} ms"
        f"  p99 {q(done, 99) * 1000:6.1f} ms"
        f"  p99 ratio {q(done, 99) / q(rtt, 99):.2f}"
    )
    for users, (p50, p99) in f.curve.items():
        print(
            f"    with {users:>2} users instead:                    p50 {p50 * 1000:6.1f} ms"
            f"  p99 {p99 * 1000:6.1f} ms"
        )
    print(f"  bare lifecycle (same human steps):          {f.bare_life:7.2f} /s")
    print(
        f"  referral lifecycles via API (load gen):     {f.lifecycles:7.2f} /s"
        f"  ratio {f.lifecycles / f.bare_life:.2f}  problems {f.problems}"
    )
    print(f"  replay (sandboxed, as in CI):               {f.replay:7.2f} histories/s")
    m = f.meter
    print(f"  during the lifecycles ({m.wall:.1f}s): machine {m.busy:.0%} busy; CPU per lifecycle:")
    for name, seconds in m.used.items():
        print(
            f"    {name:<30} {seconds / lifecycles * 1000:6.1f} ms"
            f"  ({seconds / m.wall:.0%} of a core)"
        )


async def main(lifecycles: int, concurrency: int, steps: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="frontdoor-bench-"))
    system = System(state)
    await system.start()
    try:
        sandboxed = await measure(system, True, lifecycles, concurrency, steps)
        # The same again with the worker running workflow code outside the sandbox.
        system.kill_child("worker")
        system.start_child("worker", env={"FRONTDOOR_WORKER_SANDBOX": "false"})
        await system.wait_ready()
        unsandboxed = await measure(system, False, lifecycles, concurrency, steps)
    finally:
        system.stop()
        shutil.rmtree(state, ignore_errors=True)

    options = worker_options(Settings())  # FRONTDOOR_WORKER_* from this environment, as System
    print(
        f"machine: {psutil.cpu_count()} cores; dev server on SQLite; "
        f"{lifecycles} items, concurrency {concurrency}, {steps} human steps"
    )
    print("worker: " + ", ".join(f"{k}={v}" for k, v in options.items()))
    show("workflow code in the sandbox (the default):", sandboxed, lifecycles)
    show(
        "workflow code outside the sandbox (FRONTDOOR_WORKER_SANDBOX=false):",
        unsandboxed,
        lifecycles,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Front Door throughput benchmark")
    parser.add_argument("--lifecycles", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="the bare lifecycle's human steps (default: the mean of the load's paths)",
    )
    args = parser.parse_args()
    steps = args.steps or round(
        statistics.mean(plan.steps for plan in draw_plans(args.lifecycles, LOAD_SEED))
    )
    asyncio.run(main(args.lifecycles, args.concurrency, steps))
