"""The deadline activity: exact instants under the england-2023 and england-2026 editions (the
team's working pattern, the emergency duty team out of hours, the checks margin), and refusals
that no retry could fix (an instant whose arithmetic leaves the calendar among them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.deadlines import INVALID_DEADLINE_REQUEST, compute_dues
from domain.policy import Rag, Role, Rung, Step
from domain.records import ComputeDueInput, ComputeDueResult, ComputeDuesInput

BST = timezone(timedelta(hours=1))
# Friday before the late May bank holiday (Monday 25 May 2026).
FRIDAY_4PM = datetime(2026, 5, 22, 16, tzinfo=BST)


def utc(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def due(
    step: Step,
    *,
    rag: Rag | None = None,
    outcome: str | None = None,
    policy: str = "england-2023",
    team: str | None = None,
    counts_from: datetime = FRIDAY_4PM,
    mash_decision_due: datetime | None = None,
) -> ComputeDueResult:
    request = ComputeDueInput(
        policy_version=policy,
        step=step,
        counts_from=counts_from,
        rag=rag,
        outcome=outcome,
        team=team,
        mash_decision_due=mash_decision_due,
    )
    (computed,) = (
        await ActivityEnvironment().run(compute_dues, ComputeDuesInput(requests=[request]))
    ).results
    return computed


async def test_an_amber_decision_skips_the_weekend_and_the_bank_holiday() -> None:
    result = await due(Step.mash_decision, rag=Rag.amber)

    assert result.due_at == utc(26, 15)
    # The window (Fri 15:00Z to Tue 15:00Z) is four days; rungs are placed in it.
    assert result.rungs == [
        Rung(level=0, role=Role.assignee, at=utc(25, 15)),
        Rung(level=1, role=Role.team_manager, at=utc(26, 15)),
        Rung(level=2, role=Role.service_manager, at=utc(28, 15)),
        Rung(level=3, role=Role.head_of_service, at=utc(30, 15)),
    ]


async def test_red_agency_checks_are_due_in_two_clock_hours() -> None:
    result = await due(Step.agency_check, rag=Rag.red)

    assert result.due_at == utc(22, 17)
    assert [(r.level, r.at) for r in result.rungs] == [
        (0, utc(22, 16, 30)),
        (1, utc(22, 17)),
        (2, utc(22, 18)),
        (3, utc(22, 19)),
    ]


@pytest.mark.parametrize(
    ("step", "outcome", "expected"),
    [
        (Step.strategy_discussion, "immediate_protection", utc(22, 17)),
        (Step.strategy_discussion, "strategy_discussion", utc(26, 15)),
        (Step.visit, "immediate_protection", utc(23, 15)),
        (Step.visit, "section_47", utc(23, 15)),
        (Step.visit, "assessment", utc(1, 15, month=6)),
    ],
)
async def test_outcomes_choose_the_timescale(step: Step, outcome: str, expected: datetime) -> None:
    assert (await due(step, outcome=outcome)).due_at == expected


async def test_steps_without_rag_or_outcome() -> None:
    assert (await due(Step.screening)).due_at == utc(22, 17)
    assert (await due(Step.referrer_feedback)).due_at == utc(26, 15)


@pytest.mark.parametrize(
    ("step", "rag", "outcome", "policy", "message"),
    [
        (Step.screening, None, None, "england-1999", "unknown timescale policy 'england-1999'"),
        (Step.mash_decision, None, None, "england-2023", "depends on rag"),
        (Step.strategy_discussion, None, "assessment", "england-2023", "does not lead to a strat"),
        (Step.visit, None, "nfa", "england-2023", "does not lead to a visit"),
        (Step.visit, None, "probably", "england-2023", "unknown outcome 'probably'"),
    ],
)
async def test_requests_no_retry_can_fix_are_refused_for_good(
    step: Step, rag: Rag | None, outcome: str | None, policy: str, message: str
) -> None:
    with pytest.raises(ApplicationError, match=message) as raised:
        await due(step, rag=rag, outcome=outcome, policy=policy)

    assert raised.value.non_retryable
    assert raised.value.type == INVALID_DEADLINE_REQUEST


async def test_the_red_mash_decision_counts_the_managers_office_hours() -> None:
    # england-2026, received Friday 22 May 16:00 BST: one office hour on Friday (to 17:00), then
    # the weekend and the bank holiday (Monday 25 May), then three on Tuesday: 12:00 BST.
    result = await due(
        Step.mash_decision, rag=Rag.red, policy="england-2026", team="front_door_managers"
    )

    assert result.due_at == utc(26, 11)
    # W = Fri 15:00Z to Tue 11:00Z = 92 h. The reminder (Mon 12:00Z, on the bank holiday) keeps
    # its role; the team manager (Tue 12:00 BST) and the service manager (due + 46 h: Thu 28 May
    # 10:00 BST) are in hours; the head of service rung (due + 92 h: Saturday 30 May 08:00 BST)
    # is out of hours and goes to the emergency duty team.
    assert result.rungs == [
        Rung(level=0, role=Role.assignee, at=utc(25, 12)),
        Rung(level=1, role=Role.team_manager, at=utc(26, 11)),
        Rung(level=2, role=Role.service_manager, at=utc(28, 9)),
        Rung(level=3, role=Role.emergency_duty, at=utc(30, 7)),
    ]


@pytest.mark.parametrize(
    ("team", "expected"),
    [
        # Police work all hours: Friday 16:00 BST + 4 h = 20:00 BST.
        ("agency:police", utc(22, 19)),
        # Schools keep office hours: 1 h on Friday, 3 h on Tuesday 26 May (after the bank
        # holiday): 12:00 BST.
        ("agency:education", utc(26, 11)),
        # A team the policy does not list works the front door's pattern (office hours).
        ("agency:unknown", utc(26, 11)),
        (None, utc(26, 11)),
    ],
)
async def test_red_agency_checks_count_in_the_agencys_pattern(
    team: str | None, expected: datetime
) -> None:
    result = await due(Step.agency_check, rag=Rag.red, policy="england-2026", team=team)
    assert result.due_at == expected


async def test_police_rungs_stay_with_the_managers_at_night() -> None:
    # An all-hours team is never out of hours: W = 4 h, the head of service at Sat 00:00 BST.
    result = await due(Step.agency_check, rag=Rag.red, policy="england-2026", team="agency:police")
    assert [(r.role, r.at) for r in result.rungs] == [
        (Role.assignee, utc(22, 18)),
        (Role.team_manager, utc(22, 19)),
        (Role.service_manager, utc(22, 21)),
        (Role.head_of_service, utc(22, 23)),
    ]


async def test_a_rung_at_ten_on_a_friday_night_goes_to_the_emergency_duty_team() -> None:
    # Immediate protection decided Friday 22 May 18:00 BST: a strategy discussion within 2 clock
    # hours (20:00 BST); the managers' rungs at 20:00, 21:00 and 22:00 BST are out of hours.
    result = await due(
        Step.strategy_discussion,
        outcome="immediate_protection",
        policy="england-2026",
        team="front_door_managers",
        counts_from=datetime(2026, 5, 22, 18, tzinfo=BST),
    )

    assert result.due_at == utc(22, 19)
    assert result.rungs == [
        Rung(level=0, role=Role.assignee, at=utc(22, 18, 30)),
        Rung(level=1, role=Role.emergency_duty, at=utc(22, 19)),
        Rung(level=2, role=Role.emergency_duty, at=utc(22, 20)),
        Rung(level=3, role=Role.emergency_duty, at=utc(22, 21)),
    ]


async def test_agency_checks_leave_the_margin_before_the_mash_decision() -> None:
    # Received Wednesday 10 June 10:00 BST, red: the MASH decision is due at 14:00 BST. Screened
    # at 10:30 BST, the police's 4 hours would end at 14:30 BST; the margin (1 h) ends them at
    # 13:00 BST.
    screened = datetime(2026, 6, 10, 10, 30, tzinfo=BST)
    decision_due = utc(10, 13, month=6)
    result = await due(
        Step.agency_check,
        rag=Rag.red,
        policy="england-2026",
        team="agency:police",
        counts_from=screened,
        mash_decision_due=decision_due,
    )

    assert result.due_at == utc(10, 12, month=6)
    # W = 2 h 30 min from screening (09:30Z to 12:00Z): the rungs scale with the window actually
    # allowed: due - 37 min 30 s, due, due + 1 h 15 min, due + 2 h 30 min.
    assert [r.at for r in result.rungs] == [
        datetime(2026, 6, 10, 11, 22, 30, tzinfo=UTC),
        utc(10, 12, month=6),
        utc(10, 13, 15, month=6),
        utc(10, 14, 30, month=6),
    ]


async def test_a_mash_decision_due_caps_agency_checks_only() -> None:
    with pytest.raises(ApplicationError, match="caps agency checks only") as raised:
        await due(Step.screening, policy="england-2026", mash_decision_due=utc(26, 11))
    assert raised.value.non_retryable
    assert raised.value.type == INVALID_DEADLINE_REQUEST


YEAR_ONE = datetime(1, 1, 1, tzinfo=UTC)
LAST_DAY = datetime(9999, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("counts_from", "step", "rag", "outcome", "policy"),
    [
        # Year 1 in London time is before year 1 (local mean time, 1 min 15 s behind UTC).
        (YEAR_ONE, Step.mash_decision, Rag.amber, None, "england-2023"),
        (YEAR_ONE, Step.screening, None, None, "england-2026"),
        (YEAR_ONE, Step.acknowledgement, None, None, "england-2026"),
        # The next working day after 31 December 9999 is not a date.
        (LAST_DAY, Step.mash_decision, Rag.green, None, "england-2026"),
        (LAST_DAY, Step.assessment, None, None, "england-2026"),
        (LAST_DAY, Step.visit, None, "assessment", "england-2023"),
        # 24 clock hours after 31 December 9999 22:00 is past the end of time.
        (LAST_DAY.replace(hour=22), Step.visit_reattempt, None, None, "england-2023"),
    ],
)
async def test_dates_out_of_range_are_refused_for_good(
    counts_from: datetime, step: Step, rag: Rag | None, outcome: str | None, policy: str
) -> None:
    with pytest.raises(ApplicationError, match="cannot compute the") as raised:
        await due(step, rag=rag, outcome=outcome, policy=policy, counts_from=counts_from)

    assert raised.value.non_retryable
    assert raised.value.type == INVALID_DEADLINE_REQUEST
    assert "Overflow" in str(raised.value)


@pytest.mark.parametrize("policy", ["england-2023", "england-2026"])
@pytest.mark.parametrize("counts_from", [YEAR_ONE, LAST_DAY, LAST_DAY.replace(hour=23, minute=59)])
@pytest.mark.parametrize("step", list(Step))
async def test_no_instant_leaves_a_step_retrying(
    step: Step, counts_from: datetime, policy: str
) -> None:
    # Every step at either end of time either answers or is refused for good: nothing raises
    # an error that Temporal would retry.
    rag = Rag.green if step in (Step.agency_check, Step.mash_decision) else None
    outcome = {Step.strategy_discussion: "strategy_discussion", Step.visit: "assessment"}.get(step)
    try:
        result = await due(step, rag=rag, outcome=outcome, policy=policy, counts_from=counts_from)
    except ApplicationError as err:
        assert err.non_retryable
        assert err.type == INVALID_DEADLINE_REQUEST
    else:
        assert result.due_at >= counts_from


async def test_a_naive_instant_is_refused_for_good() -> None:
    with pytest.raises(ApplicationError, match="timezone-aware") as raised:
        await due(Step.screening, counts_from=datetime(2026, 5, 22, 16))
    assert raised.value.non_retryable
