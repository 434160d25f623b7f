"""The england-2023 edition, loaded from its file, keeps its timescales and escalation ladders at
exact instants (its steps renamed: decision -> mash_decision, referrer_told -> referrer_feedback).
The england-2026 edition is pinned in test_policy_2026.py."""

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.calendar import LONDON
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

POLICY = get_policy("england-2023")

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


def test_the_default_is_england_2026_and_england_2023_is_kept() -> None:
    assert DEFAULT_POLICY_VERSION == "england-2026"
    assert get_policy().version == "england-2026"
    assert POLICY is ENGLAND_2023
    assert POLICIES["england-2023"] is ENGLAND_2023
    assert get_policy("england-2023").version == "england-2023"
    # Every team of the first edition works all hours: its hour timescales are clock hours.
    assert ENGLAND_2023.default_pattern == "all_hours"
    assert ENGLAND_2023.teams == {}
    assert ENGLAND_2023.checks_margin.hours == 0


def test_unknown_policy_names_the_version_and_the_known_ones() -> None:
    with pytest.raises(UnknownPolicyError) as caught:
        get_policy("england-1999")
    assert isinstance(caught.value, KeyError)
    assert caught.value.version == "england-1999"
    assert str(caught.value) == (
        "unknown timescale policy 'england-1999'; known versions: england-2023, england-2026"
    )


def test_screening_due_two_hours_after_receipt() -> None:
    assert_same_utc(POLICY.due(Step.screening, FRIDAY_RECEIVED), utc(2026, 5, 22, 17))


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
def test_mash_decision_due_per_rag(rag: Rag, received: datetime, expected: datetime) -> None:
    assert_same_utc(POLICY.due(Step.mash_decision, received, rag=rag), expected)
    # Under england-2023 no team has office hours: a team changes nothing.
    assert_same_utc(
        POLICY.due(Step.mash_decision, received, rag=rag, team="front_door_managers"), expected
    )


def test_amber_example_from_the_specification() -> None:
    due = POLICY.due(Step.mash_decision, FRIDAY_RECEIVED, rag=Rag.amber)
    assert due == datetime(2026, 5, 26, 16, tzinfo=LONDON)
    assert_same_utc(due, utc(2026, 5, 26, 15))


def test_decision_due_across_the_clock_change() -> None:
    friday = datetime(2026, 10, 23, 10, tzinfo=LONDON)  # BST
    amber = POLICY.due(Step.mash_decision, friday, rag=Rag.amber)
    assert_same_utc(amber, utc(2026, 10, 26, 10))  # 10:00 GMT
    assert_same_utc(POLICY.due(Step.mash_decision, friday, rag=Rag.red), utc(2026, 10, 23, 13))


def test_strategy_discussion_due() -> None:
    decided = FRIDAY_SCREENED
    step = Step.strategy_discussion
    immediate = POLICY.due(step, decided, outcome=DecisionOutcome.immediate_protection)
    assert_same_utc(immediate, utc(2026, 5, 22, 18))
    otherwise = POLICY.due(step, decided, outcome=DecisionOutcome.strategy_discussion)
    assert_same_utc(otherwise, utc(2026, 5, 26, 16))
    with pytest.raises(ValueError, match="does not lead to a strategy discussion"):
        POLICY.due(step, decided, outcome=DecisionOutcome.assessment)


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


def test_visit_reattempt_referrer_feedback_and_review_due() -> None:
    assert_same_utc(POLICY.due(Step.visit_reattempt, FRIDAY_SCREENED), utc(2026, 5, 23, 16))
    assert_same_utc(POLICY.due(Step.referrer_feedback, FRIDAY_SCREENED), utc(2026, 5, 26, 16))
    assert_same_utc(POLICY.due(Step.review_new_information, FRIDAY_SCREENED), utc(2026, 5, 22, 18))


def test_extra_holiday_moves_a_working_day_deadline() -> None:
    proclaimed = TimescalePolicy.model_validate(
        {**POLICY.model_dump(), "extra_holidays": [date(2026, 5, 26)]}
    )
    due = proclaimed.due(Step.mash_decision, FRIDAY_RECEIVED, rag=Rag.amber)
    # Tuesday 26 May proclaimed: Wednesday 27 May 16:00 BST.
    assert_same_utc(due, utc(2026, 5, 27, 15))
    # The edition itself is unchanged.
    assert_same_utc(
        POLICY.due(Step.mash_decision, FRIDAY_RECEIVED, rag=Rag.amber), utc(2026, 5, 26, 15)
    )


def test_steps_that_need_a_rag_or_outcome_say_so() -> None:
    with pytest.raises(ValueError, match="depends on rag"):
        POLICY.due(Step.mash_decision, WEDNESDAY)
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
    (Step.mash_decision, Rag.red, None, utc(2026, 6, 10, 13),
     (utc(2026, 6, 10, 12), utc(2026, 6, 10, 13), utc(2026, 6, 10, 15), utc(2026, 6, 10, 17))),
    (Step.mash_decision, Rag.amber, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    # 3 working days over a weekend: W = 120 h.
    (Step.mash_decision, Rag.green, None, utc(2026, 6, 15, 9),
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
    (Step.referrer_feedback, None, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    # The steps the first edition lacked, one working day each: W = 24 h.
    (Step.referral_decision, None, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    (Step.acknowledgement, None, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    (Step.handover, None, None, utc(2026, 6, 11, 9),
     (utc(2026, 6, 11, 3), utc(2026, 6, 11, 9), utc(2026, 6, 11, 21), utc(2026, 6, 12, 9))),
    # 45 working days: 11-12 June (2), 15-19 (7), 22-26 (12), 29-30 (14), 1-3 July (17), four
    # full weeks of July (37), 3-7 Aug (42), 10-12 Aug (45): Wed 12 Aug 10:00 BST. W = 63 days:
    # reminder 15 d 18 h before (28 July 09:00 less 18 h), service manager 31 d 12 h after,
    # head of service 63 d after.
    (Step.assessment, None, None, utc(2026, 8, 12, 9),
     (utc(2026, 7, 27, 15), utc(2026, 8, 12, 9), utc(2026, 9, 12, 21), utc(2026, 10, 14, 9))),
    # 15 working days: ... 29-30 June (14), 1 July (15): Wed 1 July 10:00 BST. W = 21 days.
    (Step.icpc, None, None, utc(2026, 7, 1, 9),
     (utc(2026, 6, 26, 3), utc(2026, 7, 1, 9), utc(2026, 7, 11, 21), utc(2026, 7, 22, 9))),
    (Step.review_new_information, None, None, utc(2026, 6, 10, 11),
     (utc(2026, 6, 10, 10, 30), utc(2026, 6, 10, 11), utc(2026, 6, 10, 12), utc(2026, 6, 10, 13))),
    # MACE, 5 working days: Wed 17 June 10:00 BST. W = 7 days: reminder 42 h before, service
    # manager 3 d 12 h after, head of service 7 d after.
    (Step.mace, None, None, utc(2026, 6, 17, 9),
     (utc(2026, 6, 15, 15), utc(2026, 6, 17, 9), utc(2026, 6, 20, 21), utc(2026, 6, 24, 9))),
    # NRM, 2 working days: Fri 12 June 10:00 BST. W = 48 h.
    (Step.nrm, None, None, utc(2026, 6, 12, 9),
     (utc(2026, 6, 11, 21), utc(2026, 6, 12, 9), utc(2026, 6, 13, 9), utc(2026, 6, 14, 9))),
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
    # A MACE disruption action has no timescale: it is due on the date the meeting agreed.
    assert {row[0] for row in LADDERS} == set(Step) - {Step.mace_action}


def test_ladder_over_the_bank_holiday_weekend() -> None:
    # Amber decision: Friday 22 May 15:00 UTC to Tuesday 26 May 15:00 UTC, W = 96 h.
    due = POLICY.due(Step.mash_decision, FRIDAY_RECEIVED, rag=Rag.amber)
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
    due = POLICY.due(Step.mash_decision, start, rag=Rag.amber)
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
