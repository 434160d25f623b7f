"""The default timescale policy and its escalation ladders, at exact instants."""

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.calendar import LONDON, WorkingCalendar
from domain.editions import (
    DEFAULT_POLICY_VERSION,
    ENGLAND_2023,
    POLICIES,
    UnknownPolicyError,
    get_policy,
)
from domain.policy import (
    DecisionOutcome,
    EscalationLadder,
    Rag,
    Role,
    RungSpec,
    Step,
    StrategyOutcome,
    Timescale,
    TimescalePolicy,
    VisitKind,
    ladder,
    visit_kind,
)

POLICY = get_policy()

# Friday 22 May 2026, before the spring bank holiday on Monday 25 May. BST is UTC+1.
FRIDAY_RECEIVED = datetime(2026, 5, 22, 16, tzinfo=LONDON)  # 15:00 UTC
FRIDAY_SCREENED = datetime(2026, 5, 22, 17, tzinfo=LONDON)  # 16:00 UTC
# Wednesday 10 June 2026 10:00 BST, an ordinary week.
WEDNESDAY = datetime(2026, 6, 10, 10, tzinfo=LONDON)  # 09:00 UTC


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def assert_same_utc(actual: datetime, expected: datetime) -> None:
    assert actual == expected
    assert actual.utcoffset() == timedelta(0)


def test_default_policy_is_england_2023() -> None:
    assert DEFAULT_POLICY_VERSION == "england-2023"
    assert POLICY is ENGLAND_2023
    assert POLICIES[DEFAULT_POLICY_VERSION] is ENGLAND_2023
    assert get_policy("england-2023").version == "england-2023"


def test_unknown_policy_names_the_version_and_the_known_ones() -> None:
    with pytest.raises(UnknownPolicyError) as caught:
        get_policy("england-1999")
    assert isinstance(caught.value, KeyError)
    assert caught.value.version == "england-1999"
    assert str(caught.value) == (
        "unknown timescale policy 'england-1999'; known versions: england-2023"
    )


def test_screening_due_two_hours_after_receipt() -> None:
    assert_same_utc(POLICY.screening_due(FRIDAY_RECEIVED), utc(2026, 5, 22, 17))


@pytest.mark.parametrize(
    ("rag", "expected"),
    [
        (Rag.red, utc(2026, 5, 22, 18)),  # + 2 h
        (Rag.amber, utc(2026, 5, 22, 22)),  # + 6 h
        (Rag.green, utc(2026, 5, 23, 16)),  # + 24 h, a Saturday: clock hours
    ],
)
def test_agency_checks_due_per_rag(rag: Rag, expected: datetime) -> None:
    assert_same_utc(POLICY.checks_due(FRIDAY_SCREENED, rag), expected)
    assert_same_utc(POLICY.due(Step.agency_check, FRIDAY_SCREENED, rag=rag), expected)


@pytest.mark.parametrize(
    ("rag", "received", "expected"),
    [
        (Rag.red, FRIDAY_RECEIVED, utc(2026, 5, 22, 19)),  # + 4 h
        (Rag.amber, FRIDAY_RECEIVED, utc(2026, 5, 26, 15)),  # Tuesday 16:00 BST
        (Rag.green, FRIDAY_RECEIVED, utc(2026, 5, 28, 15)),  # Tue, Wed, Thu
        (Rag.red, WEDNESDAY, utc(2026, 6, 10, 13)),
        (Rag.amber, WEDNESDAY, utc(2026, 6, 11, 9)),
        (Rag.green, WEDNESDAY, utc(2026, 6, 15, 9)),  # Thu, Fri, Mon
    ],
)
def test_decision_due_per_rag(rag: Rag, received: datetime, expected: datetime) -> None:
    assert_same_utc(POLICY.decision_due(received, rag), expected)
    assert_same_utc(POLICY.due(Step.decision, received, rag=rag), expected)


def test_amber_example_from_the_specification() -> None:
    due = POLICY.decision_due(FRIDAY_RECEIVED, Rag.amber)
    assert due == datetime(2026, 5, 26, 16, tzinfo=LONDON)
    assert_same_utc(due, utc(2026, 5, 26, 15))


def test_decision_due_across_the_clock_change() -> None:
    friday = datetime(2026, 10, 23, 10, tzinfo=LONDON)  # BST
    assert_same_utc(POLICY.decision_due(friday, Rag.amber), utc(2026, 10, 26, 10))  # 10:00 GMT
    assert_same_utc(POLICY.decision_due(friday, Rag.red), utc(2026, 10, 23, 13))


def test_strategy_discussion_due() -> None:
    decided = FRIDAY_SCREENED
    immediate = POLICY.strategy_discussion_due(decided, DecisionOutcome.immediate_protection)
    assert_same_utc(immediate, utc(2026, 5, 22, 18))
    otherwise = POLICY.strategy_discussion_due(decided, DecisionOutcome.strategy_discussion)
    assert_same_utc(otherwise, utc(2026, 5, 26, 16))
    with pytest.raises(ValueError, match="does not lead to a strategy discussion"):
        POLICY.strategy_discussion_due(decided, DecisionOutcome.assessment)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (DecisionOutcome.immediate_protection, utc(2026, 5, 23, 16)),  # + 24 h
        (StrategyOutcome.section_47, utc(2026, 5, 23, 16)),
        (VisitKind.child_protection, utc(2026, 5, 23, 16)),
        (DecisionOutcome.assessment, utc(2026, 6, 1, 16)),  # Tue 26 May .. Mon 1 June
        (StrategyOutcome.assessment, utc(2026, 6, 1, 16)),
        (VisitKind.assessment, utc(2026, 6, 1, 16)),
    ],
)
def test_visit_due(kind: VisitKind | DecisionOutcome | StrategyOutcome, expected: datetime) -> None:
    assert_same_utc(POLICY.visit_due(FRIDAY_SCREENED, kind), expected)
    assert_same_utc(POLICY.due(Step.visit, FRIDAY_SCREENED, outcome=kind), expected)


@pytest.mark.parametrize(
    "outcome",
    [
        DecisionOutcome.nfa,
        DecisionOutcome.advice,
        DecisionOutcome.early_help,
        DecisionOutcome.strategy_discussion,
        StrategyOutcome.nfa,
    ],
)
def test_outcomes_without_a_visit_are_rejected(outcome: DecisionOutcome | StrategyOutcome) -> None:
    with pytest.raises(ValueError, match="does not lead to a visit"):
        visit_kind(outcome)


def test_visit_reattempt_referrer_told_and_review_due() -> None:
    assert_same_utc(POLICY.visit_reattempt_due(FRIDAY_SCREENED), utc(2026, 5, 23, 16))
    assert_same_utc(POLICY.referrer_told_due(FRIDAY_SCREENED), utc(2026, 5, 26, 16))
    assert_same_utc(POLICY.review_due(FRIDAY_SCREENED), utc(2026, 5, 22, 18))


def test_extra_holiday_moves_a_working_day_deadline() -> None:
    proclaimed = WorkingCalendar(extra_holidays=frozenset({date(2026, 5, 26)}))
    due = POLICY.decision_due(FRIDAY_RECEIVED, Rag.amber, proclaimed)
    assert_same_utc(due, utc(2026, 5, 27, 15))


def test_steps_that_need_a_rag_or_outcome_say_so() -> None:
    with pytest.raises(ValueError, match="depends on rag"):
        POLICY.due(Step.decision, WEDNESDAY)
    with pytest.raises(ValueError, match="depends on rag"):
        POLICY.due(Step.agency_check, WEDNESDAY)
    with pytest.raises(ValueError, match="depends on outcome"):
        POLICY.due(Step.visit, WEDNESDAY)
    with pytest.raises(ValueError, match="depends on outcome"):
        POLICY.due(Step.strategy_discussion, WEDNESDAY)


# Every step's due time and ladder, counting from Wednesday 10 June 2026 09:00 UTC:
# (step, rag, outcome, due, reminder at due - W/4, team manager at due,
#  service manager at due + W/2, head of service at due + W).
LADDERS: list[
    tuple[Step, Rag | None, DecisionOutcome | None, datetime, tuple[datetime, ...]]
] = [
    (Step.screening, None, None, utc(2026, 6, 10, 11),
     (utc(2026, 6, 10, 10, 30), utc(2026, 6, 10, 11), utc(2026, 6, 10, 12), utc(2026, 6, 10, 13))),
    (Step.agency_check, Rag.red, None, utc(2026, 6, 10, 11),
     (utc(2026, 6, 10, 10, 30), utc(2026, 6, 10, 11), utc(2026, 6, 10, 12), utc(2026, 6, 10, 13))),
    (Step.agency_check, Rag.amber, None, utc(2026, 6, 10, 15),
     (utc(2026, 6, 10, 13, 30), utc(2026, 6, 10, 15), utc(2026, 6, 10, 18), utc(2026, 6, 10, 21))),
    (Step.agency_check, Rag.green, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    (Step.decision, Rag.red, None, utc(2026, 6, 10, 13),
     (utc(2026, 6, 10, 12), utc(2026, 6, 10, 13), utc(2026, 6, 10, 15), utc(2026, 6, 10, 17))),
    (Step.decision, Rag.amber, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    # 3 working days over a weekend: W = 120 h.
    (Step.decision, Rag.green, None, utc(2026, 6, 15, 9),
     (utc(2026, 6, 14, 3), utc(2026, 6, 15, 9), utc(2026, 6, 17, 21), utc(2026, 6, 20, 9))),
    (Step.strategy_discussion, None, DecisionOutcome.immediate_protection, utc(2026, 6, 10, 11),
     (utc(2026, 6, 10, 10, 30), utc(2026, 6, 10, 11), utc(2026, 6, 10, 12), utc(2026, 6, 10, 13))),
    (Step.strategy_discussion, None, DecisionOutcome.strategy_discussion, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    (Step.visit, None, DecisionOutcome.immediate_protection, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    # 5 working days over a weekend: W = 168 h.
    (Step.visit, None, DecisionOutcome.assessment, utc(2026, 6, 17, 9),
     (utc(2026, 6, 15, 15), utc(2026, 6, 17, 9), utc(2026, 6, 20, 21), utc(2026, 6, 24, 9))),
    (Step.visit_reattempt, None, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    (Step.referrer_told, None, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    (Step.review_new_information, None, None, utc(2026, 6, 10, 11),
     (utc(2026, 6, 10, 10, 30), utc(2026, 6, 10, 11), utc(2026, 6, 10, 12), utc(2026, 6, 10, 13))),
]  # fmt: skip


@pytest.mark.parametrize(("step", "rag", "outcome", "due", "rungs"), LADDERS)
def test_every_step_due_and_ladder(
    step: Step,
    rag: Rag | None,
    outcome: DecisionOutcome | None,
    due: datetime,
    rungs: tuple[datetime, ...],
) -> None:
    actual_due = POLICY.due(step, WEDNESDAY, rag=rag, outcome=outcome)
    assert_same_utc(actual_due, due)
    actual = POLICY.ladder(WEDNESDAY, actual_due)
    assert [(r.level, r.role) for r in actual] == [
        (0, Role.assignee),
        (1, Role.team_manager),
        (2, Role.service_manager),
        (3, Role.head_of_service),
    ]
    for rung, expected in zip(actual, rungs, strict=True):
        assert_same_utc(rung.at, expected)


def test_steps_in_ladder_table_cover_every_step() -> None:
    assert {row[0] for row in LADDERS} == set(Step)


def test_ladder_over_the_bank_holiday_weekend() -> None:
    # Amber decision: Friday 22 May 15:00 UTC to Tuesday 26 May 15:00 UTC, W = 96 h.
    due = POLICY.decision_due(FRIDAY_RECEIVED, Rag.amber)
    rungs = ladder(FRIDAY_RECEIVED, due, POLICY)
    assert [r.at for r in rungs] == [
        utc(2026, 5, 25, 15),  # reminder, on the bank holiday itself
        utc(2026, 5, 26, 15),
        utc(2026, 5, 28, 15),
        utc(2026, 5, 30, 15),
    ]


def test_ladder_across_the_clock_change() -> None:
    # Friday 23 Oct 2026 09:00 UTC (10:00 BST) to Monday 26 Oct 10:00 UTC (GMT): W = 73 h.
    start = datetime(2026, 10, 23, 10, tzinfo=LONDON)
    due = POLICY.decision_due(start, Rag.amber)
    rungs = ladder(start, due, POLICY)
    assert [r.at for r in rungs] == [
        utc(2026, 10, 25, 15, 45),  # due - 18 h 15 min
        utc(2026, 10, 26, 10),
        utc(2026, 10, 27, 22, 30),  # due + 36 h 30 min
        utc(2026, 10, 29, 11),  # due + 73 h
    ]
    assert all(r.at.utcoffset() == timedelta(0) for r in rungs)


def test_ladder_rejects_due_before_start() -> None:
    with pytest.raises(ValueError, match="before start"):
        ladder(utc(2026, 6, 10, 12), utc(2026, 6, 10, 11), POLICY)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"hours": 2, "working_days": 1},
        {"hours": 0},
        {"hours": -1},
        {"hours": float("inf")},
        {"working_days": 0},
    ],
)
def test_invalid_timescales_are_rejected(fields: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Timescale.model_validate(fields)


def test_rungs_must_climb() -> None:
    with pytest.raises(ValidationError, match="strictly increase"):
        EscalationLadder(
            rungs=(
                RungSpec(level=1, role=Role.team_manager, offset=0),
                RungSpec(level=2, role=Role.service_manager, offset=0),
            )
        )


def test_policy_is_frozen_and_survives_json() -> None:
    with pytest.raises(ValidationError):
        POLICY.version = "changed"  # type: ignore[misc]
    assert TimescalePolicy.model_validate_json(POLICY.model_dump_json()) == POLICY
