"""Every deadline and every rung of its ladder at the exact instant, on the time-skipping server.

Dates are in 2027 so they lie ahead of the test server's clock: the workflow then waits for each
instant, and the clock is moved past it, as real time would.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment

from frontdoor.domain.policy import Rag
from frontdoor.domain.tasks import Agency, AgencyCheckResult, ScreeningResult, TaskKind
from tests.workflows.driver import HOUR, referral_details, running_worker, start_case, utc


def _rungs(
    state_escalations: list[tuple[str, int, datetime, datetime]], kind: str
) -> list[tuple[int, datetime, datetime]]:
    return [
        (level, rung_at, fired_at) for k, level, rung_at, fired_at in state_escalations if k == kind
    ]


async def test_amber_referral_over_a_bank_holiday_weekend_escalates_at_exact_instants(
    fresh_clock_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    # Friday 28 May 2027 16:00 BST; Monday 31 May 2027 is the spring bank holiday.
    received = utc(2027, 5, 28, 15)
    async with running_worker(fresh_clock_env, pool, task_queue):
        case = await start_case(fresh_clock_env, task_queue, referral_details(received))
        state = await case.state()
        assert state.deadlines["screening"] == received + 2 * HOUR

        await case.advance_to(received + HOUR / 2)
        await case.complete(
            TaskKind.screening,
            ScreeningResult(rag=Rag.amber, rationale="Repeated hunger and bruising.",
                            agencies=[Agency.police, Agency.health]),
        )  # fmt: skip
        state = await case.state()
        screened = state.milestones["screened"]
        assert screened - (received + HOUR / 2) < HOUR / 60  # the moment it was submitted
        assert state.deadlines["checks"] == screened + 6 * HOUR
        # One working day: Tuesday 1 June 2027 16:00 BST.
        assert state.deadlines["decision"] == utc(2027, 6, 1, 15)

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


async def test_deadlines_across_the_clock_change_and_from_a_weekend(
    fresh_clock_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    async with running_worker(fresh_clock_env, pool, task_queue):
        # Saturday 5 June 2027 11:00 BST, amber: Monday 09:00, then one working day.
        weekend = await start_case(
            fresh_clock_env, task_queue, referral_details(utc(2027, 6, 5, 10))
        )
        # Thursday 28 Oct 2027 10:00 BST, green: three working days, clocks go back on the 31st.
        autumn = await start_case(
            fresh_clock_env, task_queue, referral_details(utc(2027, 10, 28, 9))
        )
        for case in (weekend, autumn):  # in date order: the clock only moves forward
            await case.advance_to((await case.state()).received_at + HOUR / 4)
            rag = Rag.amber if case is weekend else Rag.green
            await case.complete(
                TaskKind.screening,
                ScreeningResult(rag=rag, rationale="Needs checks.", agencies=[Agency.health]),
            )
        # Tuesday 2 Nov 2027 10:00 GMT: the wall-clock time is kept across the change.
        assert (await autumn.state()).deadlines["decision"] == utc(2027, 11, 2, 10)
        # Tuesday 8 June 2027 09:00 BST.
        assert (await weekend.state()).deadlines["decision"] == utc(2027, 6, 8, 8)
        # Green checks: 24 clock hours from screening.
        autumn_state = await autumn.state()
        assert autumn_state.deadlines["checks"] == autumn_state.milestones["screened"] + 24 * HOUR
