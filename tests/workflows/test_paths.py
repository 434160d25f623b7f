"""Every path through a referral, from intake to a closed case, on the time-skipping server."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.case import CaseState, Deadline, EscalationView, Milestone, Stage, TaskView
from domain.policy import Rag, StrategyOutcome
from domain.tasks import (
    Agency,
    ReviewResult,
    ScreeningResult,
    TaskKind,
    TaskStatus,
    WelfareCheckResult,
)
from tests.workflows.driver import (
    NONE_SEEN,
    Case,
    NewCase,
    acknowledge,
    decision,
    hand_over,
    referral_decision,
    screen_and_check,
    strategy,
    tell_referrer,
    visit,
)


@pytest.mark.parametrize("outcome", ["nfa", "advice", "early_help"])
async def test_mash_decisions_that_close_the_contact(
    new_case: NewCase, pool: asyncpg.Pool, outcome: str
) -> None:
    case = await new_case()
    await acknowledge(case)
    await screen_and_check(case)
    answer = await case.complete(TaskKind.decision, decision(outcome))
    # The contact is decided but not closed: the referrer is still to be told the outcome.
    assert answer.stage is Stage.decision
    assert [t.kind for t in answer.opened_tasks] == [TaskKind.referrer_feedback]
    state = await case.state()
    assert state.referral_at is None and Milestone.referrer_told not in state.milestones
    answer = await tell_referrer(case)
    summary = await case.handle.result()

    assert answer.stage is Stage.closed
    assert summary.outcome == outcome
    assert summary.deadlines_met == {
        "screening": True, "mash_decision": True, "acknowledgement": True,
        "referrer_feedback": True,
    }  # fmt: skip
    assert not summary.child_seen
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT stage, outcome, deadlines, milestones FROM referral WHERE workflow_id = $1",
            case.handle.id,
        )
        told = await conn.fetch(
            "SELECT recipient_team, payload->>'outcome' AS outcome FROM notification"
            " WHERE workflow_id = $1 AND kind = 'check_outcome' ORDER BY recipient_team",
            case.handle.id,
        )
    assert row is not None and (row["stage"], row["outcome"]) == ("closed", outcome)
    assert '"referrer_told"' in row["milestones"] and '"acknowledged"' in row["milestones"]
    # The partners whose checks were asked are told the outcome, as a code.
    assert [(r["recipient_team"], r["outcome"]) for r in told] == [
        ("agency:health", outcome), ("agency:police", outcome),
    ]  # fmt: skip
    assert await case.replay() < 500


async def test_a_referral_is_decided_then_seen_then_handed_over(new_case: NewCase) -> None:
    case = await new_case()
    await screen_and_check(case, Rag.green)
    answer = await case.complete(TaskKind.decision, decision("referral"))
    assert [t.kind for t in answer.opened_tasks] == [TaskKind.referral_decision]
    state = await case.state()
    assert state.referral_at == state.milestones[Milestone.mash_decided]
    assert Deadline.referral_decision in state.deadlines
    answer = await case.complete(TaskKind.referral_decision, referral_decision("assessment"))
    assert answer.stage is Stage.visit
    assert {t.kind for t in answer.opened_tasks} == {TaskKind.referrer_feedback, TaskKind.visit}
    visit_task = await case.open_task(TaskKind.visit)
    # Five working days from the decision.
    assert visit_task.due_at - visit_task.counts_from >= timedelta(days=5)
    await visit(case)
    state = await case.state()
    assert state.stage is Stage.handover
    assert {Deadline.handover, Deadline.assessment} <= set(state.deadlines)
    assert Deadline.icpc not in state.deadlines
    await hand_over(case)
    await acknowledge(case)
    assert (await case.state()).stage is Stage.handover  # still to tell the referrer
    await tell_referrer(case)
    summary = await case.handle.result()

    assert summary.child_seen and summary.deadlines_met[Deadline.visit]
    assert summary.deadlines_met[Deadline.assessment]
    assert (
        summary.milestones[Milestone.child_seen] >= summary.milestones[Milestone.referral_decided]
    )
    assert await case.replay() < 500


async def test_a_referral_stepped_down_closes_once_the_referrer_is_told(new_case: NewCase) -> None:
    case = await new_case()
    await acknowledge(case)
    await screen_and_check(case)
    await case.complete(TaskKind.decision, decision("referral"))
    await case.complete(TaskKind.referral_decision, referral_decision("step_down"))
    await tell_referrer(case)
    summary = await case.handle.result()

    assert summary.outcome == "step_down"
    assert set(summary.deadlines_met) >= {Deadline.mash_decision, Deadline.referral_decision}


@pytest.mark.parametrize(
    ("strategy_outcome", "visits"),
    [(StrategyOutcome.section_47, 1), (StrategyOutcome.assessment, 1), (StrategyOutcome.nfa, 0)],
)
async def test_strategy_discussion_outcomes(
    new_case: NewCase,
    strategy_outcome: StrategyOutcome,
    visits: int,
) -> None:
    case = await new_case()
    await screen_and_check(case, Rag.red)
    answer = await case.complete(TaskKind.decision, decision("strategy_discussion"))
    assert answer.stage is Stage.strategy_discussion
    strategy_task = await case.open_task(TaskKind.strategy_discussion)
    assert strategy_task.due_at > strategy_task.counts_from
    await strategy(case, strategy_outcome)
    if visits:
        visit_task = await case.open_task(TaskKind.visit)
        expected = timedelta(hours=24) if strategy_outcome is StrategyOutcome.section_47 else None
        if expected is not None:
            assert visit_task.due_at - visit_task.counts_from == expected
        await visit(case)
        await hand_over(case, section_47=strategy_outcome is StrategyOutcome.section_47)
    await acknowledge(case)
    await tell_referrer(case)
    summary = await case.handle.result()

    assert summary.strategy_outcome == strategy_outcome.value
    if strategy_outcome is StrategyOutcome.section_47:
        assert summary.deadlines_met[Deadline.icpc]
        assert summary.deadlines[Deadline.icpc] > summary.milestones[Milestone.strategy_held]
    assert summary.child_seen is bool(visits)
    assert await case.replay() < 500


async def test_immediate_protection_opens_strategy_and_visit_together(new_case: NewCase) -> None:
    case = await new_case()
    answer = await case.complete(
        TaskKind.screening,
        ScreeningResult(rag=Rag.red, rationale="Injury.", immediate_risk=True,
                        agencies=[Agency.police, Agency.health], exploitation=NONE_SEEN),
    )  # fmt: skip
    # Immediate risk: the decision opens at once, alongside the checks.
    assert answer.stage is Stage.decision
    state = await case.state()
    kinds = {t.kind for t in state.tasks if t.status is TaskStatus.open}
    assert kinds == {TaskKind.acknowledgement, TaskKind.agency_check, TaskKind.decision}
    # Immediate risk makes the contact a referral at once: the decision is due at the earlier
    # of the red MASH timescale and one working day from the referral.
    assert state.referral_at == state.milestones[Milestone.screened]
    decision_task = next(t for t in state.tasks if t.kind is TaskKind.decision)
    assert decision_task.due_at == min(
        state.deadlines[Deadline.mash_decision], state.deadlines[Deadline.referral_decision]
    )

    answer = await case.complete(TaskKind.decision, decision("immediate_protection"))
    assert answer.stage is Stage.strategy_discussion
    strategy_task = await case.open_task(TaskKind.strategy_discussion)
    visit_task = await case.open_task(TaskKind.visit)
    assert strategy_task.due_at - strategy_task.counts_from == timedelta(hours=2)
    assert visit_task.due_at - visit_task.counts_from == timedelta(hours=24)
    await strategy(case, StrategyOutcome.section_47)
    assert (await case.state()).stage is Stage.visit
    await visit(case)
    await hand_over(case, section_47=True)
    await acknowledge(case)
    await tell_referrer(case)
    summary = await case.handle.result()
    state = await case.state()  # a closed case answers queries too (the worker replays it)

    # Checks never answered are cancelled when the case closes, not left open.
    assert {t.status for t in state.tasks if t.kind is TaskKind.agency_check} == {
        TaskStatus.cancelled
    }
    assert summary.child_seen
    assert await case.replay() < 500


async def test_two_failed_visits_escalate_and_bring_in_the_police(new_case: NewCase) -> None:
    case = await new_case()
    await screen_and_check(case, Rag.red)
    await case.complete(TaskKind.decision, decision("assessment"))
    await visit(case, seen=False, attempt=1)
    second = await case.open_task(TaskKind.visit, attempt=2)
    assert second.due_at - second.counts_from == timedelta(hours=24)
    state = await case.state()
    assert [(e.level, e.role.value) for e in state.escalations] == [(1, "team_manager")]
    assert not await _open_welfare_checks(case)

    await visit(case, seen=False, attempt=2)
    state = await case.state()
    assert [(e.level, e.role.value) for e in state.escalations] == [
        (1, "team_manager"), (2, "service_manager"),
    ]  # fmt: skip
    assert state.escalation_level == 2
    welfare = await _open_welfare_checks(case)
    assert len(welfare) == 1 and welfare[0].agency is Agency.police
    await case.complete(
        TaskKind.police_welfare_check,
        WelfareCheckResult(child_seen=True, observations="Child at grandmother's."),
        actor="pc-1",
    )
    await visit(case, seen=True, attempt=3)
    await hand_over(case)
    await acknowledge(case)
    await tell_referrer(case)
    summary = await case.handle.result()

    assert summary.child_seen and summary.highest_escalation_level == 2
    assert await case.replay() < 500


async def _open_welfare_checks(case: Case) -> list[TaskView]:
    return [
        t for t in (await case.state()).tasks
        if t.kind is TaskKind.police_welfare_check and t.status is TaskStatus.open
    ]  # fmt: skip


async def test_new_information_raising_amber_to_red_tightens_deadlines_ahead(
    new_case: NewCase,
) -> None:
    case = await new_case()
    await case.complete(
        TaskKind.screening,
        ScreeningResult(
            exploitation=NONE_SEEN, rag=Rag.amber, rationale="Checks.", agencies=[Agency.police]
        ),
    )
    before = await case.state()
    review_id = await case.add_information("Police report a new incident at the address.")
    review = await case.open_task(TaskKind.review_new_information)
    assert review.task_id == review_id
    assert review.due_at - review.counts_from == timedelta(hours=2)
    await case.complete(
        TaskKind.review_new_information, ReviewResult(rag=Rag.red, rationale="Escalating risk.")
    )
    after = await case.state()

    assert after.rag is Rag.red
    assert after.deadlines[Deadline.mash_decision] == min(
        before.deadlines[Deadline.mash_decision], before.received_at + timedelta(hours=4)
    )
    assert after.deadlines[Deadline.checks] <= before.deadlines[Deadline.checks]
    check = next(t for t in after.tasks if t.kind is TaskKind.agency_check)
    assert check.due_at == after.deadlines[Deadline.checks]
    assert any(e.event == "information_added" for e in after.timeline)
    await case.handle.terminate("test over")
    assert await case.replay() < 500


async def test_back_dated_referral_escalates_to_every_passed_rung_in_order(
    env: WorkflowEnvironment, new_case: NewCase
) -> None:
    now = await env.get_current_time()
    received = now - timedelta(days=2)
    case = await new_case(received_at=received)
    await case.open_task(TaskKind.screening)
    state = await case.wait_for(lambda s: len(_screening_rungs(s)) == 4)
    await case.handle.terminate("test over")

    due = received + timedelta(hours=2)
    assert [(e.level, e.rung_at) for e in _screening_rungs(state)] == [
        (0, due - timedelta(minutes=30)),
        (1, due),
        (2, due + timedelta(hours=1)),
        (3, due + timedelta(hours=2)),
    ]
    assert all(e.fired_at >= now - timedelta(seconds=5) for e in _screening_rungs(state))
    assert state.escalation_level == 3


async def test_immediate_protection_seen_before_the_strategy_discussion_waits_for_it(
    new_case: NewCase,
) -> None:
    case = await new_case()
    await screen_and_check(case, Rag.red)
    await case.complete(TaskKind.decision, decision("immediate_protection"))
    await visit(case)
    state = await case.state()
    assert state.stage is Stage.strategy_discussion
    assert (await case.open_task(TaskKind.strategy_discussion)).status is TaskStatus.open
    await strategy(case, StrategyOutcome.section_47)
    assert (await case.state()).stage is Stage.handover
    await hand_over(case, section_47=True)
    await acknowledge(case)
    await tell_referrer(case)
    summary = await case.handle.result()

    assert summary.child_seen and summary.strategy_outcome == "section_47"
    assert await case.replay() < 500


def _screening_rungs(state: CaseState) -> list[EscalationView]:
    """The screening ladder's rungs fired (the acknowledgement has a ladder of its own)."""
    return [e for e in state.escalations if e.kind is TaskKind.screening]
