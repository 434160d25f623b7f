"""Whole cases, each a path a real referral takes; the regression histories in tests/histories/
are exported from these (see tests/histories/export.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from domain.case import CaseState, EscalationView
from domain.policy import Rag, StrategyOutcome
from domain.tasks import Agency, ReviewResult, ScreeningResult, TaskKind
from tests.workflows.driver import (
    CHECK,
    NONE_SEEN,
    Case,
    acknowledge,
    decision,
    hand_over,
    referral_decision,
    screen_and_check,
    start_case,
    strategy,
    tell_referrer,
    visit,
)

Scenario = Callable[[WorkflowEnvironment, str], Awaitable[Case]]


def closing_outcome(outcome: str) -> Scenario:
    async def run(env: WorkflowEnvironment, task_queue: str) -> Case:
        case = await start_case(env, task_queue)
        await acknowledge(case)
        await screen_and_check(case)
        await case.complete(TaskKind.decision, decision(outcome))
        await tell_referrer(case)
        await case.handle.result()
        return case

    return run


async def assessment_visit(env: WorkflowEnvironment, task_queue: str) -> Case:
    case = await start_case(env, task_queue)
    await screen_and_check(case, Rag.green)
    await acknowledge(case)
    # The MASH decision makes the contact a referral; its response is decided next.
    await case.complete(TaskKind.decision, decision("referral"))
    await case.complete(TaskKind.referral_decision, referral_decision("assessment"))
    await tell_referrer(case)
    await visit(case)
    await hand_over(case)
    await case.handle.result()
    return case


def strategy_path(outcome: StrategyOutcome) -> Scenario:
    async def run(env: WorkflowEnvironment, task_queue: str) -> Case:
        case = await start_case(env, task_queue)
        await screen_and_check(case, Rag.red)
        await case.complete(TaskKind.decision, decision("strategy_discussion"))
        await acknowledge(case)
        await tell_referrer(case)
        await strategy(case, outcome)
        if outcome is not StrategyOutcome.nfa:
            await visit(case)
            await hand_over(case, section_47=outcome is StrategyOutcome.section_47)
        await case.handle.result()
        return case

    return run


async def immediate_protection(env: WorkflowEnvironment, task_queue: str) -> Case:
    case = await start_case(env, task_queue)
    await case.complete(
        TaskKind.screening,
        ScreeningResult(
            exploitation=NONE_SEEN,
            rag=Rag.red,
            rationale="Injury.",
            immediate_risk=True,
            agencies=[Agency.police],
        ),
    )
    await case.complete(TaskKind.decision, decision("immediate_protection"))
    await visit(case)
    await strategy(case, StrategyOutcome.section_47)
    await hand_over(case, section_47=True)
    await acknowledge(case)
    await tell_referrer(case)
    await case.handle.result()
    return case


async def escalations(env: WorkflowEnvironment, task_queue: str) -> Case:
    """Received two days ago and screened late: every rung of the screening ladder fires, then
    the checks run late and escalate before the decision."""
    case = await start_case(env, task_queue, back_dated=timedelta(days=2))
    await case.wait_for(lambda s: len(_screening_rungs(s)) == 4)
    await case.complete(
        TaskKind.screening,
        ScreeningResult(
            exploitation=NONE_SEEN,
            rag=Rag.red,
            rationale="Late.",
            agencies=[Agency.police, Agency.health],
        ),
    )
    await case.advance_to(await env.get_current_time() + timedelta(hours=5))
    await case.complete(TaskKind.agency_check, CHECK, agency="police")
    await case.complete(TaskKind.agency_check, CHECK, agency="health")
    await case.complete(TaskKind.decision, decision("nfa"))
    await acknowledge(case)
    await tell_referrer(case)
    await case.handle.result()
    return case


async def new_information(env: WorkflowEnvironment, task_queue: str) -> Case:
    case = await start_case(env, task_queue)
    await case.complete(
        TaskKind.screening,
        ScreeningResult(
            exploitation=NONE_SEEN, rag=Rag.amber, rationale="Checks.", agencies=[Agency.police]
        ),
    )
    await case.add_information("Police report a new incident at the address.")
    await case.complete(
        TaskKind.review_new_information, ReviewResult(rag=Rag.red, rationale="Risk is rising.")
    )
    await case.complete(TaskKind.agency_check, CHECK, agency="police")
    await case.complete(TaskKind.decision, decision("assessment"))
    await acknowledge(case)
    await tell_referrer(case)
    await visit(case)
    await hand_over(case)
    await case.handle.result()
    return case


async def failed_visits(env: WorkflowEnvironment, task_queue: str) -> Case:
    case = await start_case(env, task_queue)
    await screen_and_check(case, Rag.red)
    await case.complete(TaskKind.decision, decision("assessment"))
    await visit(case, seen=False, attempt=1)
    await visit(case, seen=False, attempt=2)
    await visit(case, seen=True, attempt=3)
    await hand_over(case)
    await acknowledge(case)
    await tell_referrer(case)
    await case.handle.result()
    return case


SCENARIOS: dict[str, Scenario] = {
    "outcome-nfa": closing_outcome("nfa"),
    "outcome-advice": closing_outcome("advice"),
    "outcome-early-help": closing_outcome("early_help"),
    "outcome-assessment": assessment_visit,
    "outcome-strategy-section-47": strategy_path(StrategyOutcome.section_47),
    "outcome-strategy-nfa": strategy_path(StrategyOutcome.nfa),
    "outcome-immediate-protection": immediate_protection,
    "escalations": escalations,
    "new-information": new_information,
    "failed-visits": failed_visits,
}


def _screening_rungs(state: CaseState) -> list[EscalationView]:
    """The screening ladder's rungs fired (the acknowledgement has a ladder of its own)."""
    return [e for e in state.escalations if e.kind is TaskKind.screening]
