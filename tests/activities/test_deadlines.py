"""The deadline activity: exact instants under the England 2023 policy, and refusals that no
retry could fix."""

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
    step: Step, *, rag: Rag | None = None, outcome: str | None = None, policy: str = "england-2023"
) -> ComputeDueResult:
    request = ComputeDueInput(
        policy_version=policy, step=step, counts_from=FRIDAY_4PM, rag=rag, outcome=outcome
    )
    (computed,) = (
        await ActivityEnvironment().run(compute_dues, ComputeDuesInput(requests=[request]))
    ).results
    return computed


async def test_an_amber_decision_skips_the_weekend_and_the_bank_holiday() -> None:
    result = await due(Step.decision, rag=Rag.amber)

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
    assert (await due(Step.referrer_told)).due_at == utc(26, 15)


@pytest.mark.parametrize(
    ("step", "rag", "outcome", "policy", "message"),
    [
        (Step.screening, None, None, "england-1999", "unknown timescale policy 'england-1999'"),
        (Step.decision, None, None, "england-2023", "depends on rag"),
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
