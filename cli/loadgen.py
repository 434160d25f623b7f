"""The load generator: simulated staff and partners driving referrals through the HTTP API from
intake to a closed case, the way the front door works them, while measuring every request.

Every write carries an idempotency key, and every request is retried through outages (503,
connection refused), so a fault mid-run must cost time, never a referral, a check or a decision.
At the end each case is checked: closed, with exactly the tasks its path should have made.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.auth import StaffRole, User, issue_token
from core.settings import Settings
from domain.policy import DecisionOutcome
from domain.tasks import Agency

LIVED = "Sam says mornings are rushed and there is often no breakfast; he likes his school."
_RETRY_FOR = timedelta(minutes=3)


@dataclass
class Plan:
    """The path one referral takes, drawn from the seed."""

    rag: str
    agencies: list[Agency]
    immediate_risk: bool
    outcome: DecisionOutcome
    strategy_outcome: str | None
    failed_visits: int
    new_information: bool

    def expected(self) -> Counter[str]:
        kinds: Counter[str] = Counter(screening=1, agency_check=len(self.agencies), decision=1)
        if self.new_information:
            kinds["review_new_information"] = 1
        if self.outcome.holds_strategy_discussion:
            kinds["strategy_discussion"] = 1
        if self.visits:
            kinds["visit"] = 1 + self.failed_visits
        if self.visits and self.failed_visits >= 2:
            kinds["police_welfare_check"] = 1
        return kinds

    @property
    def visits(self) -> bool:
        if self.outcome.visits_at_once:
            return True
        return self.outcome.holds_strategy_discussion and self.strategy_outcome != "nfa"


def draw_plan(rng: random.Random) -> Plan:
    outcome = rng.choice(list(DecisionOutcome))
    immediate = outcome is DecisionOutcome.immediate_protection and rng.random() < 0.5
    return Plan(
        rag="red" if immediate else rng.choice(["red", "amber", "green"]),
        agencies=rng.sample(list(Agency), rng.randint(1, 3)),
        immediate_risk=immediate,
        outcome=outcome,
        strategy_outcome=rng.choice(["section_47", "assessment", "nfa"])
        if outcome is DecisionOutcome.strategy_discussion
        else ("section_47" if outcome is DecisionOutcome.immediate_protection else None),
        failed_visits=rng.choice([0, 0, 0, 1, 2]),
        new_information=rng.random() < 0.2,
    )


@dataclass
class Report:
    referrals: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.referrals / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        out = [f"{self.referrals} referrals closed in {self.seconds:.1f}s: {self.per_second:.2f}/s"]
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


def tokens(settings: Settings) -> dict[str, str]:
    people = {
        "practitioner": User(
            user_id="load.practitioner", name="Load", roles=[StaffRole.practitioner]
        ),
        "manager": User(user_id="load.manager", name="Load", roles=[StaffRole.manager]),
    }
    for agency in Agency:
        people[agency.value] = User(
            user_id=f"load.{agency.value}", name="Load", roles=[StaffRole.agency], agency=agency
        )
    return {name: issue_token(settings, user) for name, user in people.items()}


def intake(n: int, now: datetime) -> dict[str, Any]:
    return {
        "received_at": (now - timedelta(minutes=1)).isoformat(),
        "source": "2A",
        "referrer": {"name": "Load Referrer", "organisation": "School", "phone": "0100 000 000"},
        "child": {
            "name": f"Child {n}",
            "date_of_birth": "2018-05-01",
            "address": f"{n} Load Street",
        },
        "household": [
            {"name": "Parent", "relationship": "mother", "parental_responsibility": True}
        ],
        "concern": "Arrives hungry most days.",
        "categories": ["neglect"],
        "consent": "given",
    }


class Walker:
    """Walks one referral along its plan; each step as the role that does it."""

    def __init__(self, client: Client, tokens: dict[str, str], run: str) -> None:
        self.client = client
        self.tokens = tokens
        self.run = run

    async def complete(self, who: str, task_id: str, result: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = await self.client.call(
            f"complete {result['kind']}", "POST", f"/tasks/{task_id}/complete", self.tokens[who],
            json={"result": result}, key=f"{self.run}/{task_id}",
        )  # fmt: skip
        return answer

    async def walk(self, n: int, plan: Plan) -> str:
        created = await self.client.call(
            "POST /referrals", "POST", "/referrals", self.tokens["practitioner"],
            json=intake(n, datetime.now(UTC)), key=f"{self.run}/intake/{n}",
        )  # fmt: skip
        referral_id = str(created["referral_id"])
        screening = str(created["screening_task_id"])  # intake answers once it is in the inbox
        if plan.new_information:
            added = await self.client.call(
                "POST /referrals/{id}/information", "POST", f"/referrals/{referral_id}/information",
                self.tokens["practitioner"], key=f"{self.run}/info/{n}",
                json={"text": "Police report an incident.", "source": "police"},
            )  # fmt: skip
            await self.complete("practitioner", added["review_task_id"], {
                "kind": "review_new_information", "rationale": "Reviewed.",
            })  # fmt: skip
        opened = await self.complete("practitioner", screening, {
            "kind": "screening", "rag": plan.rag, "rationale": "Screened.",
            "immediate_risk": plan.immediate_risk, "agencies": [a.value for a in plan.agencies],
        })  # fmt: skip
        tasks = {t["task_id"]: t for t in opened["opened_tasks"]}
        decision = next((t for t, v in tasks.items() if v["kind"] == "decision"), None)
        for task_id, task in tasks.items():
            if task["kind"] != "agency_check":
                continue
            answer = await self.complete(task["agency"], task_id, {
                "kind": "agency_check", "known_to_agency": False, "information": "Not known.",
                "responder_name": "Duty officer",
            })  # fmt: skip
            for t in answer["opened_tasks"]:
                if t["kind"] == "decision":
                    decision = t["task_id"]
        assert decision is not None, f"{referral_id}: no decision task opened"
        answer = await self.complete("manager", decision, {
            "kind": "decision", "outcome": plan.outcome, "rationale": "Decided.",
            "lived_experience": LIVED, "household_considered": ["Parent"],
        })  # fmt: skip
        await self.after_decision(answer["opened_tasks"], plan)
        return referral_id

    async def after_decision(self, opened: list[dict[str, Any]], plan: Plan) -> None:
        visit = next((t["task_id"] for t in opened if t["kind"] == "visit"), None)
        strategy = next((t["task_id"] for t in opened if t["kind"] == "strategy_discussion"), None)
        if strategy is not None:
            answer = await self.complete("manager", strategy, {
                "kind": "strategy_discussion", "held_at": datetime.now(UTC).isoformat(),
                "attendees": ["police", "health", "childrens_social_care"],
                "outcome": plan.strategy_outcome, "rationale": "Agreed.",
            })  # fmt: skip
            visit = visit or next(
                (t["task_id"] for t in answer["opened_tasks"] if t["kind"] == "visit"), None
            )
        attempt = 0
        while visit is not None:
            attempt += 1
            seen = attempt > plan.failed_visits
            answer = await self.complete("practitioner", visit, {
                "kind": "visit", "visited_at": datetime.now(UTC).isoformat(), "child_seen": seen,
                "seen_alone": seen, "not_seen_reason": None if seen else "no_access",
                "observations": "Visited.",
            })  # fmt: skip
            visit = None
            for t in answer["opened_tasks"]:
                if t["kind"] == "police_welfare_check":
                    await self.complete("police", t["task_id"], {
                        "kind": "police_welfare_check", "child_seen": True, "observations": "Seen.",
                    })  # fmt: skip
            visit = next(
                (t["task_id"] for t in answer["opened_tasks"] if t["kind"] == "visit"), None
            )

    async def check(self, referral_id: str, plan: Plan) -> list[str]:
        state = await self.client.call(
            "GET /referrals/{id}", "GET", f"/referrals/{referral_id}", self.tokens["manager"]
        )
        problems = []
        if state["stage"] != "closed":
            problems.append(f"{referral_id}: stage {state['stage']}, not closed")
        made = Counter(t["kind"] for t in state["tasks"])
        if made != plan.expected():
            problems.append(f"{referral_id}: tasks {dict(made)}, expected {dict(plan.expected())}")
        unfinished = [t["kind"] for t in state["tasks"] if t["status"] != "completed"]
        if unfinished:
            problems.append(f"{referral_id}: not completed: {unfinished}")
        return problems


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
    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not a secret
    plans = [draw_plan(rng) for _ in range(referrals)]
    report = Report(referrals=referrals, seconds=0.0)
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
