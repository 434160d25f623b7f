"""Every deadline and every rung of its ladder at the exact instant, each test on a time-skipping
server of its own (`env` below).

Dates are in 2027 so they lie ahead of the test server's clock: the workflow then waits for each
instant, and the clock is moved past it, as real time would.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.case import Deadline, Milestone
from domain.policy import Rag, StrategyOutcome
from domain.tasks import (
    Agency,
    AgencyCheckResult,
    ScreeningResult,
    StrategyDiscussionResult,
    TaskKind,
)
from tests.workflows.driver import HOUR, NONE_SEEN, NewCase, decision, utc


@pytest.fixture
def env(fresh_clock_env: WorkflowEnvironment) -> WorkflowEnvironment:
    """Each test here moves a clock of its own to the dates it sets."""
    return fresh_clock_env


def _rungs(
    state_escalations: list[tuple[str, int, datetime, datetime]], kind: str
) -> list[tuple[int, datetime, datetime]]:
    return [
        (level, rung_at, fired_at) for k, level, rung_at, fired_at in state_escalations if k == kind
    ]


async def test_amber_referral_over_a_bank_holiday_weekend_escalates_at_exact_instants(
    new_case: NewCase, pool: asyncpg.Pool
) -> None:
    # Friday 28 May 2027 16:00 BST; Monday 31 May 2027 is the spring bank holiday.
    received = utc(2027, 5, 28, 15)
    case = await new_case(received_at=received)
    state = await case.state()
    assert state.deadlines[Deadline.screening] == received + 2 * HOUR

    await case.advance_to(received + HOUR / 2)
    await case.complete(
        TaskKind.screening,
        ScreeningResult(rag=Rag.amber, rationale="Repeated hunger and bruising.",
                        agencies=[Agency.police, Agency.health], exploitation=NONE_SEEN),
    )  # fmt: skip
    state = await case.state()
    screened = state.milestones[Milestone.screened]
    assert screened - (received + HOUR / 2) < HOUR / 60  # the moment it was submitted
    assert state.deadlines[Deadline.checks] == screened + 6 * HOUR
    # One working day: Tuesday 1 June 2027 16:00 BST.
    assert state.deadlines[Deadline.mash_decision] == utc(2027, 6, 1, 15)

    await case.advance_to(screened + 5 * HOUR)
    await case.complete(
        TaskKind.agency_check,
        AgencyCheckResult(known_to_agency=True, information="Two call-outs in 2026.",
                          responder_name="PC Example"),
        agency="police",
    )  # fmt: skip
    # Health never answers; the clock runs on to after the decision's last rung.
    await case.advance_to(utc(2027, 6, 6, 12))
    state = await case.state()

    agency_of = {t.task_id: t.agency for t in state.tasks}
    fired = [
        (f"{e.kind.value}:{agency_of[e.task_id] or ''}", e.level, e.rung_at, e.fired_at)
        for e in state.escalations
    ]
    for _kind, _level, rung_at, fired_at in fired:
        # A timer fires at its instant, never before; the server adds milliseconds at most.
        assert rung_at <= fired_at < rung_at + timedelta(seconds=1), "a rung fired off time"

    # Screening: done in 30 minutes, before its reminder at due - W/4 (1h30): no rung fired.
    assert _rungs(fired, "screening:") == []
    checks_due = screened + 6 * HOUR
    # Police answered at 5 h, after its reminder (W = 6 h, so due - 1 h 30) and before it was due.
    assert [(lvl, at) for lvl, at, _ in _rungs(fired, "agency_check:police")] == [
        (0, checks_due - 1.5 * HOUR)
    ]
    # Health never answered: reminder, team manager, service manager, head of service.
    assert [(lvl, at) for lvl, at, _ in _rungs(fired, "agency_check:health")] == [
        (0, checks_due - 1.5 * HOUR),
        (1, checks_due),
        (2, checks_due + 3 * HOUR),
        (3, checks_due + 6 * HOUR),
    ]
    # The decision, W = 96 h (Friday 16:00 to Tuesday 16:00 BST).
    decision_due = utc(2027, 6, 1, 15)
    assert [(lvl, at) for lvl, at, _ in _rungs(fired, "decision:")] == [
        (0, decision_due - 24 * HOUR),
        (1, decision_due),
        (2, decision_due + 48 * HOUR),
        (3, decision_due + 96 * HOUR),
    ]
    # The decision opened when the checks were due, with the health check shown as missing.
    decision_task = next(t for t in state.tasks if t.kind is TaskKind.decision)
    assert checks_due <= decision_task.opened_at < checks_due + timedelta(seconds=1)
    assert decision_task.missing_checks == [Agency.health]
    assert state.escalation_level == 3
    assert await case.replay() < 500

    # Every rung is recorded once in the audit trail and queued once for the person told.
    async with pool.acquire() as conn:
        audited = await conn.fetch(
            "SELECT kind, details FROM audit_event WHERE workflow_id = $1"
            " AND kind IN ('escalated', 'reminder_sent')",
            case.handle.id,
        )
        queued = await conn.fetch(
            "SELECT kind, recipient_team, recipient_role FROM notification"
            " WHERE workflow_id = $1 AND kind IN ('escalation', 'reminder')",
            case.handle.id,
        )
        case_row = await conn.fetchrow(
            "SELECT escalation_level, stage FROM referral WHERE workflow_id = $1", case.handle.id
        )
    assert len(audited) == len(queued) == len(state.escalations)
    assert ("escalation", "front_door_managers", "head_of_service") in {
        (r["kind"], r["recipient_team"], r["recipient_role"]) for r in queued
    }
    assert case_row is not None and case_row["escalation_level"] == 3


async def test_deadlines_across_the_clock_change_and_from_a_weekend(new_case: NewCase) -> None:
    # Saturday 5 June 2027 11:00 BST, amber: Monday 09:00, then one working day.
    weekend = await new_case(received_at=utc(2027, 6, 5, 10))
    # Thursday 28 Oct 2027 10:00 BST, green: three working days, clocks go back on the 31st.
    autumn = await new_case(received_at=utc(2027, 10, 28, 9))
    for case in (weekend, autumn):  # in date order: the clock only moves forward
        await case.advance_to((await case.state()).received_at + HOUR / 4)
        rag = Rag.amber if case is weekend else Rag.green
        await case.complete(
            TaskKind.screening,
            ScreeningResult(
                exploitation=NONE_SEEN, rag=rag, rationale="Needs checks.", agencies=[Agency.health]
            ),
        )
    # Tuesday 2 Nov 2027 10:00 GMT: the wall-clock time is kept across the change.
    assert (await autumn.state()).deadlines[Deadline.mash_decision] == utc(2027, 11, 2, 10)
    # Tuesday 8 June 2027 09:00 BST.
    assert (await weekend.state()).deadlines[Deadline.mash_decision] == utc(2027, 6, 8, 8)
    # Green checks: 24 clock hours from screening.
    autumn_state = await autumn.state()
    assert (
        autumn_state.deadlines[Deadline.checks]
        == autumn_state.milestones[Milestone.screened] + 24 * HOUR
    )


async def test_strategy_discussion_and_visit_ladders_over_a_weekend(
    env: WorkflowEnvironment, new_case: NewCase
) -> None:
    # Thursday 3 June 2027 10:00 BST, red.
    received = utc(2027, 6, 3, 9)
    case = await new_case(received_at=received)
    await case.advance_to(received + HOUR / 4)
    await case.complete(
        TaskKind.screening,
        ScreeningResult(
            exploitation=NONE_SEEN, rag=Rag.red, rationale="Injury.", agencies=[Agency.police]
        ),
    )
    await case.complete(
        TaskKind.agency_check,
        AgencyCheckResult(known_to_agency=True, information="Known.", responder_name="PC"),
    )
    # Decided on Friday 4 June 2027 at 14:00 BST: the discussion is due Monday 14:00 BST.
    await case.advance_to(utc(2027, 6, 4, 13))
    await case.complete(TaskKind.decision, decision("strategy_discussion"))
    state = await case.state()
    decided = state.milestones[Milestone.mash_decided]
    strategy = await case.open_task(TaskKind.strategy_discussion)
    assert strategy.counts_from == decided
    assert strategy.due_at == decided + 72 * HOUR  # Friday to Monday, same wall-clock time
    assert state.deadlines[Deadline.strategy_discussion] == strategy.due_at
    await case.advance_to(strategy.due_at + 37 * HOUR)
    held = await env.get_current_time()
    await case.complete(
        TaskKind.strategy_discussion,
        StrategyDiscussionResult(
            held_at=held, attendees=["police", "health", "childrens_social_care"],
            outcome=StrategyOutcome.section_47, rationale="Section 47 enquiry agreed.",
        ),
    )  # fmt: skip
    visit = await case.open_task(TaskKind.visit)
    assert visit.due_at == held + 24 * HOUR
    await case.advance_to(visit.due_at + 25 * HOUR)
    state = await case.state()
    await case.handle.terminate("test over")

    by_task: dict[str, list[tuple[int, datetime]]] = {}
    for e in state.escalations:
        by_task.setdefault(e.task_id, []).append((e.level, e.rung_at))
        assert e.rung_at <= e.fired_at < e.rung_at + timedelta(seconds=1)
    due = strategy.due_at
    assert by_task[strategy.task_id] == [
        (0, due - 18 * HOUR), (1, due), (2, due + 36 * HOUR),
    ]  # fmt: skip
    due = visit.due_at
    assert by_task[visit.task_id] == [
        (0, due - 6 * HOUR), (1, due), (2, due + 12 * HOUR), (3, due + 24 * HOUR),
    ]  # fmt: skip
