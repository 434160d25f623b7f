"""The paths of a load run: how the front door's decisions fall (the MASH decision, the referral's
response, the strategy discussion and section 47 outcomes) and what each contact's exploitation
screening finds, drawn from the seed into one `Plan` per contact, with the tasks its path makes.

The exploitation screening is asked on every screening and every MASH decision. Most children
show nothing of harm outside the family, some emerging signs; about one in twenty is at
significant risk, so a MACE discussion is held and its disruption actions are done. No plan
names trafficking (that opens the NRM task, which the load does not drive).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

from domain.exploitation import ExploitationIndicator, ExploitationRisk
from domain.policy import DecisionOutcome
from domain.tasks import Agency

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
# What the exploitation screening finds (weights; one contact in twenty is screened at
# significant risk besides), and what the MACE discussion then concludes.
SIGNIFICANT_EVERY = 20
EXPLOITATION_RISKS = {ExploitationRisk.none: 80, ExploitationRisk.emerging: 20}
MACE_RISKS = {ExploitationRisk.significant: 50, ExploitationRisk.emerging: 50}
INDICATORS = [
    i for i in ExploitationIndicator if i is not ExploitationIndicator.trafficking_or_modern_slavery
]
# The outcomes that close a case (a contact closed at the MASH decision, or a step down).
CLOSING = (
    DecisionOutcome.nfa,
    DecisionOutcome.advice,
    DecisionOutcome.early_help,
    DecisionOutcome.step_down,
)


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
    # The exploitation screening (at screening, repeated at the MASH decision).
    exploitation: ExploitationRisk = ExploitationRisk.none
    indicators: list[ExploitationIndicator] = field(default_factory=list)
    mace_risk: ExploitationRisk | None = None  # what the MACE concludes, when one is held
    mace_actions: int = 0  # the disruption actions it agrees

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

    @property
    def mace(self) -> bool:
        """Whether the screening opens a MACE discussion (significant risk or worse)."""
        return self.exploitation.significant_or_worse

    @property
    def exploitation_risk(self) -> ExploitationRisk:
        """The risk the case ends with: the MACE's conclusion, or the screening's."""
        return self.mace_risk or self.exploitation

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
        if self.mace:
            kinds["mace"] = 1
            if self.mace_actions:
                kinds["mace_action"] = self.mace_actions
        return kinds

    @property
    def steps(self) -> int:
        """The human steps of the path: one completion per task."""
        return sum(self.expected().values())

    def screening(self) -> dict[str, Any]:
        """The exploitation screening, as the screening and the MASH decision record it."""
        return {
            "risk": self.exploitation.value,
            "indicators": [i.value for i in self.indicators],
            "other_indicators": [],
            "rationale": "No sign of harm outside the family."
            if self.exploitation is ExploitationRisk.none
            else "Signs of harm outside the family.",
        }

    def closing(self, outcome: DecisionOutcome) -> dict[str, Any]:
        """What a decision with `outcome` adds when it closes a child screened at significant
        risk: the manager's reason (without it the decision is refused)."""
        if self.mace and outcome in CLOSING:
            return {"exploitation_closure_rationale": "The MACE plan carries the risk."}
        return {}


def draw_plan(rng: random.Random) -> Plan:
    """One contact's path from `rng` (its exploitation screening is drawn apart: `screen`)."""
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


def screen(plan: Plan, n: int, rng: random.Random) -> None:
    """The exploitation screening of contact `n`: one contact in twenty (the 8th, the 28th, ...,
    so even a short run holds a MACE) at significant risk, its MACE agreeing one, two or no
    disruption actions in turn; the others drawn none or emerging."""
    if n % SIGNIFICANT_EVERY == SIGNIFICANT_EVERY // 3:
        plan.exploitation = ExploitationRisk.significant
        plan.indicators = rng.sample(INDICATORS, 3)
        plan.mace_risk = _weighted(rng, MACE_RISKS)
        plan.mace_actions = (n // SIGNIFICANT_EVERY + 1) % 3
        return
    plan.exploitation = _weighted(rng, EXPLOITATION_RISKS)
    if plan.exploitation is ExploitationRisk.emerging:
        plan.indicators = rng.sample(INDICATORS, rng.randint(1, 2))


def draw_plans(referrals: int, seed: int) -> list[Plan]:
    """The paths of a run: the same seed, the same paths. The screenings are drawn from a stream
    of their own, so a seed's paths stay those drawn before the screening was."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not a secret
    screens = random.Random(f"{seed}/exploitation")  # noqa: S311
    plans = [draw_plan(rng) for _ in range(referrals)]
    for n, plan in enumerate(plans):
        screen(plan, n, screens)
    return plans


def path_name(plan: Plan) -> str:
    """A short name of the path, for the report: `referral>assessment`, `strategy_discussion
    (section_47)`, `nfa`; `+mace` where a MACE discussion is held."""
    name = plan.outcome.value + (f">{plan.response.value}" if plan.response else "")
    if plan.strategy_outcome:
        name += f" ({plan.strategy_outcome})"
    if plan.mace:
        name += " +mace"
    return name
