"""One contact walked along its plan through the HTTP API, each step as the role that does it
(the practitioner, the manager, each agency, the police, the receiving team, the exploitation
team's manager), and the check of the case it leaves: closed, with exactly its path's tasks."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from cli.load_cases import child, intake
from cli.load_client import Client
from cli.load_paths import Plan
from domain.exploitation import MACE_INVITEES
from domain.policy import DecisionOutcome

LIVED = "Sam says mornings are rushed and there is often no breakfast; he likes his school."
_CONTACT_OUTCOMES = (DecisionOutcome.nfa, DecisionOutcome.advice, DecisionOutcome.early_help)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _opened(answer: dict[str, Any], kind: str) -> str | None:
    return next((t["task_id"] for t in answer["opened_tasks"] if t["kind"] == kind), None)


def _all_opened(answer: dict[str, Any], kind: str) -> list[str]:
    return [t["task_id"] for t in answer["opened_tasks"] if t["kind"] == kind]


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
        # Intake answers with the screening task once it is in the inbox.
        decision, mace = await self.screen(referral_id, str(created["screening_task_id"]), plan)
        answer = await self.complete("manager", decision, {
            "kind": "decision", "outcome": plan.outcome, "rationale": "Decided.",
            "lived_experience": LIVED, "household_considered": household,
            "exploitation": plan.screening(), **plan.closing(plan.outcome),
        })  # fmt: skip
        if plan.response is not None:  # a referral: its response decided next
            task = _opened(answer, "referral_decision")
            if task is None:
                raise RuntimeError(f"{referral_id}: referral made, no referral_decision opened")
            answer = await self.complete("manager", task, {
                "kind": "referral_decision", "response": plan.response,
                "rationale": "Threshold met.", "lived_experience": LIVED,
                "household_considered": household, **plan.closing(plan.response),
            })  # fmt: skip
        feedback = _opened(answer, "referrer_feedback")  # the outcome is known
        if plan.reachable and feedback is None:
            raise RuntimeError(f"{referral_id}: outcome decided, no referrer_feedback opened")
        if feedback is not None and not plan.referrer_last:
            await self.tell_referrer(feedback)
        handover = await self.after_decision(answer, plan)
        if handover is not None:
            await self.hand_over(handover, plan)
        if mace is not None:
            await self.hold_mace(mace, plan)
        if plan.referrer_last and acknowledgement is not None and feedback is not None:
            # The process is done; the case waits for the referrer to be acknowledged and told.
            state = await self.case(referral_id)
            if state["stage"] == "closed":
                raise RuntimeError(f"{referral_id}: closed before the referrer was told")
            await self.acknowledge(acknowledgement)
            await self.tell_referrer(feedback)
        return referral_id

    async def screen(self, referral_id: str, screening: str, plan: Plan) -> tuple[str, str | None]:
        """The screening (with its exploitation screening) and the agency checks it asks for:
        the decision task, and the MACE task where the screening found significant risk."""
        opened = await self.complete("practitioner", screening, {
            "kind": "screening", "rag": plan.rag, "rationale": "Screened.",
            "immediate_risk": plan.immediate_risk, "agencies": [a.value for a in plan.agencies],
            "exploitation": plan.screening(),
        })  # fmt: skip
        tasks = {t["task_id"]: t for t in opened["opened_tasks"]}
        decision = next((t for t, v in tasks.items() if v["kind"] == "decision"), None)
        mace = next((t for t, v in tasks.items() if v["kind"] == "mace"), None)
        if plan.mace and mace is None:
            raise RuntimeError(f"{referral_id}: screened at {plan.exploitation} risk, no mace")
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
        return decision, mace

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

    async def hold_mace(self, mace: str, plan: Plan) -> None:
        """The exploitation team's manager records the MACE discussion, then each disruption
        action it agreed as done."""
        today = datetime.now(UTC).date()
        held = await self.complete("manager", mace, {
            "kind": "mace", "held_at": _now(), "attendees": list(MACE_INVITEES),
            "risk": plan.mace_risk, "plan": "Disruption plan agreed with the police.",
            "actions": [
                {"action": f"Disruption action {n + 1}.", "owner": "police",
                 "due_on": (today + timedelta(days=7 * (n + 1))).isoformat()}
                for n in range(plan.mace_actions)
            ],
            "review_on": (today + timedelta(days=28)).isoformat(),
        })  # fmt: skip
        actions = _all_opened(held, "mace_action")
        if len(actions) != plan.mace_actions:
            raise RuntimeError(
                f"mace {mace}: {len(actions)} actions opened, not {plan.mace_actions}"
            )
        for action in actions:
            await self.complete("manager", action, {
                "kind": "mace_action", "done": True, "done_on": today.isoformat(),
                "note": "Done with the police.",
            })  # fmt: skip

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
        return problems + self.check_exploitation(referral_id, state, plan)

    @staticmethod
    def check_exploitation(referral_id: str, state: dict[str, Any], plan: Plan) -> list[str]:
        """The risk the case ends with, and the MACE held exactly where the screening found
        significant risk."""
        problems = []
        if state.get("exploitation_risk") != plan.exploitation_risk.value:
            problems.append(
                f"{referral_id}: exploitation risk {state.get('exploitation_risk')}, "
                f"not {plan.exploitation_risk}"
            )
        if ("mace_held" in state["milestones"]) is not plan.mace:
            problems.append(f"{referral_id}: MACE held is not {plan.mace}")
        return problems
