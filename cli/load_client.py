"""The load generator's HTTP client, which measures every request and retries it through outages,
and the report it fills: throughput, latency per endpoint, statuses, the paths and the problems
the checks found."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

_RETRY_FOR = timedelta(minutes=3)


@dataclass
class Report:
    referrals: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    paths: Counter[str] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.referrals / self.seconds if self.seconds else 0.0

    @property
    def completions(self) -> int:
        return sum(len(v) for k, v in self.latencies.items() if k.startswith("complete"))

    def lines(self) -> list[str]:
        out = [f"{self.referrals} referrals closed in {self.seconds:.1f}s: {self.per_second:.2f}/s"]
        if self.referrals:
            out.append(
                f"  {self.completions / self.referrals:.1f} task completions per case; paths: "
                + ", ".join(f"{p} {n}" for p, n in sorted(self.paths.items()))
            )
        for endpoint, values in sorted(self.latencies.items()):
            q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
            out.append(
                f"  {endpoint:<28} n={len(values):<6} p50={q[49] * 1000:7.1f}ms "
                f"p95={q[94] * 1000:7.1f}ms p99={q[98] * 1000:7.1f}ms"
            )
        errors = {k: v for k, v in self.statuses.items() if k[1] >= 400}
        out.append(
            "  errors: "
            + (", ".join(f"{e} {s}: {n}" for (e, s), n in sorted(errors.items())) or "none")
        )
        out.append(
            "  check: "
            + (
                "every case closed with the tasks its path made"
                if not self.problems
                else f"{len(self.problems)} problems"
            )
        )
        out += [f"    {p}" for p in self.problems[:20]]
        return out


class Client:
    """HTTP with latency accounting and retries through outages (same idempotency key)."""

    def __init__(self, http: httpx.AsyncClient, report: Report) -> None:
        self.http = http
        self.report = report

    async def call(
        self, endpoint: str, method: str, path: str, token: str, *,
        json: Any = None, key: str | None = None, ok: tuple[int, ...] = (200, 201),
    ) -> Any:  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        give_up = time.monotonic() + _RETRY_FOR.total_seconds()
        delay = 0.2
        while True:
            started = time.monotonic()
            try:
                response = await self.http.request(method, path, json=json, headers=headers)
            except httpx.TransportError:
                self.report.statuses[(endpoint, 599)] += 1
            else:
                self.report.statuses[(endpoint, response.status_code)] += 1
                if response.status_code in ok:
                    self.report.latencies[endpoint].append(time.monotonic() - started)
                    return response.json()
                if response.status_code < 500:
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            if time.monotonic() > give_up:
                raise RuntimeError(f"{method} {path}: still failing after {_RETRY_FOR}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
