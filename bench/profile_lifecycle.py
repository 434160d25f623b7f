"""Where the CPU of a referral lifecycle goes, per process: the system of `bench.throughput`
(dev server, embedded PostgreSQL, the worker and the API as processes) driven by the same load,
with py-spy sampling the worker and the API while the lifecycles run.

    uv run --with py-spy python -m bench.profile_lifecycle [--lifecycles 100] [--concurrency 20]

py-spy is not a dependency of the project (`--with` brings it for the run). It samples every
thread of each process, only while it is running Python or native code (idle threads are left
out), so a function's share of the samples is its share of the process's CPU. The script prints
the CPU per lifecycle of each process, then for the worker and the API the functions with the
most samples (inclusive, and own), as milliseconds per lifecycle, and writes the raw stacks
(`--out`, one folded stack a line with its count) for a flame graph.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

from bench.throughput import LOAD_SEED, CpuMeter
from cli.loadgen import run_load
from tests.reliability.system import System

_WARM_UP = 10  # lifecycles before sampling: imports, caches and pools warmed


def _py_spy() -> str:
    found = shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy is not installed: run with `uv run --with py-spy ...`")
    return found


def start_spies(pids: dict[str, int], out: Path, rate: int) -> dict[str, subprocess.Popen[bytes]]:
    """py-spy on the worker and the API, each writing its folded stacks to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    spies = {}
    for name in ("worker", "api"):
        spies[name] = subprocess.Popen(
            [
                _py_spy(), "record", "--pid", str(pids[name]), "--rate", str(rate),
                "--nonblocking", "--function", "--format", "raw",
                "--output", str(out / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    return spies


def summarise(folded: Path, cpu_ms: float, top: int) -> None:
    """The functions with the most samples in `folded`, scaled so all samples are `cpu_ms`."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():  # a line cut short as py-spy stopped
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if f]
        total += n
        for frame in dict.fromkeys(frames):  # each function once per stack
            inclusive[frame] += n
        if frames:
            own[frames[-1]] += n
    if total == 0:
        print("    no samples")
        return
    scale = cpu_ms / total
    print(f"    {total} samples; inclusive (ms per lifecycle):")
    for frame, n in inclusive.most_common(top):
        print(f"      {n * scale:7.2f}  {frame}")
    print("    own:")
    for frame, n in own.most_common(top // 2):
        print(f"      {n * scale:7.2f}  {frame}")


async def main(lifecycles: int, concurrency: int, out: Path, top: int, rate: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="frontdoor-profile-"))
    system = System(state)
    await system.start()
    spies: dict[str, subprocess.Popen[bytes]] = {}
    try:
        settings = system.settings()
        await run_load(
            system.base_url, settings, referrals=_WARM_UP, concurrency=_WARM_UP, seed=LOAD_SEED
        )
        assert system.temporal.process is not None
        postmaster = int((system.state / "postgres" / "postmaster.pid").read_text().split()[0])
        pids = {
            "temporal dev server": system.temporal.process.pid,
            "postgresql": postmaster,
            "worker": system.children["worker"].pid,
            "api": system.children["api"].pid,
        }
        spies = start_spies(pids, out, rate)
        await asyncio.sleep(1)  # attached
        meter = CpuMeter(pids, alone=set())
        meter.start()
        report = await run_load(
            system.base_url,
            settings,
            referrals=lifecycles,
            concurrency=concurrency,
            seed=LOAD_SEED,
            walked=meter.stop,
        )
        for spy in spies.values():
            spy.send_signal(2)  # SIGINT: py-spy writes what it sampled
            spy.wait(timeout=60)
    finally:
        for spy in spies.values():
            if spy.poll() is None:
                spy.kill()
        system.stop()
        shutil.rmtree(state, ignore_errors=True)
    per = {name: used / lifecycles * 1000 for name, used in meter.used.items()}
    print(
        f"{lifecycles} lifecycles, {concurrency} at a time: {report.per_second:.2f} /s, "
        f"problems {len(report.problems)}; machine {meter.busy:.0%} busy; "
        f"load average {psutil.getloadavg()[0]:.2f}"
    )
    for name, ms in per.items():
        print(f"  {name:<22} {ms:6.1f} ms per lifecycle")
    for name in ("worker", "api"):
        print(f"  {name}:")
        summarise(out / f"{name}.txt", per[name], top)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Profile a referral lifecycle's CPU")
    parser.add_argument("--lifecycles", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "frontdoor-spy")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--rate", type=int, default=200, help="samples a second")
    args = parser.parse_args()
    if sys.platform != "linux":
        raise SystemExit("py-spy attaches to the processes on Linux only")
    asyncio.run(main(args.lifecycles, args.concurrency, args.out, args.top, args.rate))
