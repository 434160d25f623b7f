"""The load generator: simulated staff and partners driving contacts through the HTTP API from
intake to a closed case, the way the front door works them, while measuring every request.

Every intake is a contact: the referrer is acknowledged (unless they cannot be reached), the MASH
decision closes it or makes it a referral (whose response is decided then, or next in a
referral decision), the referrer is told the outcome, and assessment and section 47 cases are
handed over to the receiving team once the child is seen. Each contact is about a different
child (names, dates of birth and addresses drawn for the run), so no intake meets an open case.

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
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx

from api.auth import StaffRole, User, issue_token
from core.settings import Settings
from domain.policy import DecisionOutcome
from domain.tasks import Agency

LIVED = "Sam says mornings are rushed and there is often no breakfast; he likes his school."
_RETRY_FOR = timedelta(minutes=3)
_CONTACT_OUTCOMES = (DecisionOutcome.nfa, DecisionOutcome.advice, DecisionOutcome.early_help)

# How MASH decisions fall (weights): a third of contacts close at the decision; of the rest,
# about two in five become referrals whose response is decided next, the others are decided at
# once. A referral decision's response is most often an assessment.
MASH_OUTCOMES = {
    DecisionOutcome.nfa: 12,
    DecisionOutcome.advice: 10,
    DecisionOutcome.early_help: 14,
    DecisionOutcome.referral: 24,
    DecisionOutcome.assessment: 18,
    DecisionOutcome.strategy_discussion: 14,
    DecisionOutcome.immediate_protection: 8,
}
RESPONSES = {
    DecisionOutcome.assessment: 50,
    DecisionOutcome.strategy_discussion: 25,
    DecisionOutcome.step_down: 15,
    DecisionOutcome.immediate_protection: 10,
}
SECTION_47_OUTCOMES = {
    "substantiated_at_risk": 50,
    "substantiated_not_at_risk": 25,
    "not_substantiated": 25,
}


T = TypeVar("T")


def _weighted(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Plan:
    """The path one contact takes, drawn from the seed."""

    rag: str
    agencies: list[Agency]
    immediate_risk: bool
    outcome: DecisionOutcome  # the MASH decision
    response: DecisionOutcome | None  # the referral decision, when the MASH decision is referral
    strategy_outcome: str | None
    failed_visits: int
    new_information: bool
    reachable: bool = True  # False: an anonymous referrer, neither acknowledged nor told
    referrer_last: bool = False  # acknowledged and told only once the rest is done
    section_47_outcome: str | None = None
    conference_first: bool = False  # the conference recorded before the assessment

    @property
    def decided(self) -> DecisionOutcome:
        """The outcome the case ends with: the referral's response, or the MASH decision."""
        return self.response or self.outcome

    @property
    def visits(self) -> bool:
        if self.decided.visits_at_once:
            return True
        return self.decided.holds_strategy_discussion and self.strategy_outcome != "nfa"

    @property
    def handed_over(self) -> bool:
        """Whether the receiving team takes the case once the child is seen (an assessment, or
        a section 47 enquiry): as `workflows.handover.Handover.needed` decides."""
        if not self.visits:
            return False
        if self.strategy_outcome is not None:
            return self.strategy_outcome != "nfa"
        return self.decided is DecisionOutcome.assessment

    def expected(self) -> Counter[str]:
        kinds: Counter[str] = Counter(screening=1, agency_check=len(self.agencies), decision=1)
        if self.reachable:
            kinds["acknowledgement"] = 1
            kinds["referrer_feedback"] = 1
        if self.response is not None:
            kinds["referral_decision"] = 1
        if self.new_information:
            kinds["review_new_information"] = 1
        if self.decided.holds_strategy_discussion:
            kinds["strategy_discussion"] = 1
        if self.visits:
            kinds["visit"] = 1 + self.failed_visits
        if self.visits and self.failed_visits >= 2:
            kinds["police_welfare_check"] = 1
        if self.handed_over:
            kinds["handover"] = 1
            kinds["assessment_completed"] = 1
            if self.strategy_outcome == "section_47":
                kinds["child_protection_conference"] = 1
        return kinds

    @property
    def steps(self) -> int:
        """The human steps of the path: one completion per task."""
        return sum(self.expected().values())


def draw_plan(rng: random.Random) -> Plan:
    outcome = _weighted(rng, MASH_OUTCOMES)
    response = _weighted(rng, RESPONSES) if outcome is DecisionOutcome.referral else None
    decided = response or outcome
    immediate = decided is DecisionOutcome.immediate_protection and rng.random() < 0.5
    strategy_outcome = None
    if decided is DecisionOutcome.strategy_discussion:
        strategy_outcome = rng.choice(["section_47", "section_47", "assessment", "nfa"])
    elif decided is DecisionOutcome.immediate_protection:
        strategy_outcome = rng.choice(["section_47"] * 9 + ["nfa"])
    return Plan(
        rag="red" if immediate else rng.choice(["red", "amber", "green"]),
        agencies=rng.sample(list(Agency), rng.randint(1, 3)),
        immediate_risk=immediate,
        outcome=outcome,
        response=response,
        strategy_outcome=strategy_outcome,
        failed_visits=rng.choice([0, 0, 0, 1, 2]),
        new_information=rng.random() < 0.2,
        reachable=rng.random() >= 0.08,
        referrer_last=rng.random() < 0.25,
        section_47_outcome=_weighted(rng, SECTION_47_OUTCOMES)
        if strategy_outcome == "section_47"
        else None,
        conference_first=rng.random() < 0.5,
    )


def draw_plans(referrals: int, seed: int) -> list[Plan]:
    """The paths of a run: the same seed, the same paths."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not a secret
    return [draw_plan(rng) for _ in range(referrals)]


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


def path_name(plan: Plan) -> str:
    """A short name of the path, for the report: `referral>assessment`, `strategy_discussion
    (section_47)`, `nfa`."""
    name = plan.outcome.value + (f">{plan.response.value}" if plan.response else "")
    if plan.strategy_outcome:
        name += f" ({plan.strategy_outcome})"
    return name


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
        # The receiving team's social worker (a practitioner may work its tasks).
        "receiving": User(user_id="load.receiving", name="Load", roles=[StaffRole.practitioner]),
    }
    for agency in Agency:
        people[agency.value] = User(
            user_id=f"load.{agency.value}", name="Load", roles=[StaffRole.agency], agency=agency
        )
    return {name: issue_token(settings, user) for name, user in people.items()}


# fmt: off
_ONSETS = [
    "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z",
    "br", "ch", "cl", "dr", "fl", "gr", "kr", "pl", "pr", "sh", "sk", "st", "th", "tr",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "ie", "oa", "oo", "ou"]
_CODAS = ["", "", "", "n", "l", "r", "s", "m", "th", "ck", "nd"]
_STREETS = ["Street", "Road", "Lane", "Close", "Avenue", "Grove", "Way", "Crescent"]
# fmt: on


def _word(rng: random.Random, syllables: int) -> str:
    word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables))
    return (word + rng.choice(_CODAS)).capitalize()


def child(n: int, run: str) -> dict[str, Any]:
    """Child `n` of the run `run`: a name, a date of birth and an address of their own, drawn
    from both, so that no two children of a run (or of two runs) are taken for one person with
    an open case (which would stop the intake: 409 open_case)."""
    rng = random.Random(f"{run}/child/{n}")  # noqa: S311 - made-up people, not a secret
    surname = _word(rng, rng.randint(2, 3))
    return {
        "name": f"{_word(rng, 2)} {surname}",
        "date_of_birth": (date(2008, 1, 1) + timedelta(days=rng.randrange(16 * 365))).isoformat(),
        "address": f"{rng.randint(1, 399)} {_word(rng, 2)} {rng.choice(_STREETS)}",
        "parent": f"{_word(rng, 2)} {surname}",
    }


def intake(n: int, now: datetime, run: str, *, reachable: bool = True) -> dict[str, Any]:
    """The contact about child `n` of `run`; from an anonymous referrer unless `reachable`."""
    about = child(n, run)
    referrer: dict[str, str] = (
        {"name": "Load Referrer", "organisation": "School", "phone": "0100 000 000"}
        if reachable
        else {}
    )
    return {
        "received_at": (now - timedelta(minutes=1)).isoformat(),
        "source": "2A" if reachable else "9",
        "referrer": referrer,
        "child": {k: about[k] for k in ("name", "date_of_birth", "address")},
        "household": [
            {"name": about["parent"], "relationship": "mother", "parental_responsibility": True}
        ],
        "concern": "Arrives hungry most days.",
        "categories": ["neglect"],
        "consent": "given",
    }


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _opened(answer: dict[str, Any], kind: str) -> str | None:
    return next((t["task_id"] for t in answer["opened_tasks"] if t["kind"] == kind), None)


class Walker:
    """Walks one contact along its plan; each step as the role that does it."""

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

    async def case(self, referral_id: str) -> dict[str, Any]:
        state: dict[str, Any] = await self.client.call(
            "GET /referrals/{id}", "GET", f"/referrals/{referral_id}", self.tokens["manager"]
        )
        return state

    async def open_task(self, referral_id: str, kind: str) -> str:
        """The open task of `kind` on the case (one no completion's answer named: the
        acknowledgement, opened with the screening at intake)."""
        for _ in range(50):
            state = await self.case(referral_id)
            for task in state["tasks"]:
                if task["kind"] == kind and task["status"] == "open":
                    return str(task["task_id"])
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{referral_id}: no open {kind} task")

    async def acknowledge(self, task_id: str) -> None:
        await self.complete("practitioner", task_id, {
            "kind": "acknowledgement", "method": "phone", "acknowledged_at": _now(),
        })  # fmt: skip

    async def tell_referrer(self, task_id: str) -> None:
        await self.complete("practitioner", task_id, {
            "kind": "referrer_feedback", "method": "email", "told_at": _now(),
        })  # fmt: skip

    async def walk(self, n: int, plan: Plan) -> str:
        created = await self.client.call(
            "POST /referrals", "POST", "/referrals", self.tokens["practitioner"],
            json=intake(n, datetime.now(UTC), self.run, reachable=plan.reachable),
            key=f"{self.run}/intake/{n}",
        )  # fmt: skip
        referral_id = str(created["referral_id"])
        household = [child(n, self.run)["parent"]]  # the decisions consider everyone named
        screening = str(created["screening_task_id"])  # intake answers once it is in the inbox
        acknowledgement = None
        if plan.reachable:  # the referrer is rung back, at once or once the rest is done
            acknowledgement = await self.open_task(referral_id, "acknowledgement")
            if not plan.referrer_last:
                await self.acknowledge(acknowledgement)
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
            decision = decision or _opened(answer, "decision")
        if decision is None:
            raise RuntimeError(f"{referral_id}: no decision task opened")
        answer = await self.complete("manager", decision, {
            "kind": "decision", "outcome": plan.outcome, "rationale": "Decided.",
            "lived_experience": LIVED, "household_considered": household,
        })  # fmt: skip
        if plan.response is not None:  # a referral: its response decided next
            task = _opened(answer, "referral_decision")
            if task is None:
                raise RuntimeError(f"{referral_id}: referral made, no referral_decision opened")
            answer = await self.complete("manager", task, {
                "kind": "referral_decision", "response": plan.response,
                "rationale": "Threshold met.", "lived_experience": LIVED,
                "household_considered": household,
            })  # fmt: skip
        feedback = _opened(answer, "referrer_feedback")  # the outcome is known
        if plan.reachable and feedback is None:
            raise RuntimeError(f"{referral_id}: outcome decided, no referrer_feedback opened")
        if feedback is not None and not plan.referrer_last:
            await self.tell_referrer(feedback)
        handover = await self.after_decision(answer, plan)
        if handover is not None:
            await self.hand_over(handover, plan)
        if plan.referrer_last and acknowledgement is not None and feedback is not None:
            # The process is done; the case waits for the referrer to be acknowledged and told.
            state = await self.case(referral_id)
            if state["stage"] == "closed":
                raise RuntimeError(f"{referral_id}: closed before the referrer was told")
            await self.acknowledge(acknowledgement)
            await self.tell_referrer(feedback)
        return referral_id

    async def after_decision(self, decided: dict[str, Any], plan: Plan) -> str | None:
        """The strategy discussion and the visits; the handover task, if one opened."""
        visit = _opened(decided, "visit")
        strategy = _opened(decided, "strategy_discussion")
        handover = None
        if strategy is not None:
            answer = await self.complete("manager", strategy, {
                "kind": "strategy_discussion", "held_at": _now(),
                "attendees": ["police", "health", "childrens_social_care"],
                "outcome": plan.strategy_outcome, "rationale": "Agreed.",
            })  # fmt: skip
            visit = visit or _opened(answer, "visit")
        attempt = 0
        while visit is not None:
            attempt += 1
            seen = attempt > plan.failed_visits
            answer = await self.complete("practitioner", visit, {
                "kind": "visit", "visited_at": _now(), "child_seen": seen,
                "seen_alone": seen, "not_seen_reason": None if seen else "no_access",
                "observations": "Visited.",
            })  # fmt: skip
            welfare = _opened(answer, "police_welfare_check")
            if welfare is not None:
                await self.complete("police", welfare, {
                    "kind": "police_welfare_check", "child_seen": True, "observations": "Seen.",
                })  # fmt: skip
            visit = _opened(answer, "visit")
            handover = handover or _opened(answer, "handover")
        return handover

    async def hand_over(self, handover: str, plan: Plan) -> None:
        """The receiving team accepts the case, then records the assessment and, for a section
        47 enquiry, its outcome (and the conference, where the child is at continuing risk)."""
        accepted = await self.complete("receiving", handover, {
            "kind": "handover", "accepted_at": _now(), "receiving_team": "Assessment team 2",
        })  # fmt: skip
        assessment = _opened(accepted, "assessment_completed")
        conference = _opened(accepted, "child_protection_conference")
        records: list[tuple[str | None, dict[str, Any]]] = [
            (assessment, {
                "kind": "assessment_completed", "completed_at": _now(),
                "outcome": "child_in_need_plan", "summary": "Support through a plan.",
            }),
        ]  # fmt: skip
        if conference is not None or plan.section_47_outcome is not None:
            at_risk = plan.section_47_outcome == "substantiated_at_risk"
            result: dict[str, Any] = {
                "kind": "child_protection_conference",
                "section_47_outcome": plan.section_47_outcome,
                "rationale": "Enquiry completed.",
            }
            if at_risk:
                result |= {"held_at": _now(), "conference_outcome": "child_protection_plan"}
            records.insert(0 if plan.conference_first else 1, (conference, result))
        for task_id, result in records:
            if task_id is None:
                raise RuntimeError(f"handover {handover}: no {result['kind']} task opened")
            await self.complete("receiving", task_id, result)

    async def check(self, referral_id: str, plan: Plan) -> list[str]:
        state = await self.case(referral_id)
        problems = []
        if state["stage"] != "closed":
            problems.append(f"{referral_id}: stage {state['stage']}, not closed")
        made = Counter(t["kind"] for t in state["tasks"])
        if made != plan.expected():
            problems.append(f"{referral_id}: tasks {dict(made)}, expected {dict(plan.expected())}")
        unfinished = [t["kind"] for t in state["tasks"] if t["status"] != "completed"]
        if unfinished:
            problems.append(f"{referral_id}: not completed: {unfinished}")
        if state["outcome"] != plan.decided.value:
            problems.append(f"{referral_id}: outcome {state['outcome']}, not {plan.decided}")
        if state["strategy_outcome"] != plan.strategy_outcome:
            problems.append(
                f"{referral_id}: strategy outcome {state['strategy_outcome']}, "
                f"not {plan.strategy_outcome}"
            )
        if state.get("section_47_outcome") != (
            plan.section_47_outcome if plan.handed_over else None
        ):
            problems.append(f"{referral_id}: section 47 outcome {state.get('section_47_outcome')}")
        referred = plan.outcome not in _CONTACT_OUTCOMES
        if (state["referral_at"] is not None) is not referred:
            problems.append(f"{referral_id}: referral_at {state['referral_at']}")
        told = {"acknowledged", "referrer_told"} & set(state["milestones"])
        if told != ({"acknowledged", "referrer_told"} if plan.reachable else set()):
            problems.append(f"{referral_id}: referrer milestones {sorted(told)}")
        if ("handed_over" in state["milestones"]) is not plan.handed_over:
            problems.append(f"{referral_id}: handed over is not {plan.handed_over}")
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
