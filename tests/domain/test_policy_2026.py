"""The england-2026 edition at exact instants: the MASH decision, the referral decision, the
acknowledgement, the 45-working-day assessment and the 15-working-day conference across weekends,
bank holidays, both clock changes, Christmas and one-off holidays; agency checks in each agency's
working pattern and the checks margin; rungs out of hours to the emergency duty team.

Every expected instant is worked out by hand in the comments (BST is UTC+1 from 29 March to
25 October 2026; GMT is UTC)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.calendar import LONDON
from domain.editions import ENGLAND_2023, get_policy
from domain.policy import DecisionOutcome, Rag, Role, Step, TimescalePolicy

POLICY = get_policy("england-2026")
MANAGERS = "front_door_managers"
PRACTITIONERS = "front_door_practitioners"


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def assert_same_utc(actual: datetime, expected: datetime) -> None:
    assert actual == expected
    assert actual.utcoffset() == timedelta(0)


def with_holidays(*days: date) -> TimescalePolicy:
    return TimescalePolicy.model_validate({**POLICY.model_dump(), "extra_holidays": list(days)})


def test_the_edition_as_shipped() -> None:
    assert POLICY.version == "england-2026"
    assert POLICY.checks_margin.hours == 1
    assert POLICY.pattern_for(MANAGERS).kind == "office"
    assert POLICY.pattern_for("agency:police").kind == "all_hours"
    assert POLICY.pattern_for("agency:health").kind == "all_hours"
    assert POLICY.pattern_for("agency:education").kind == "office"
    assert POLICY.pattern_for(None).kind == "office"
    assert (POLICY.intake.received_within_days, POLICY.intake.future_grace_minutes) == (730, 5)
    assert POLICY.intake.earliest_birth_date == date(1900, 1, 1)
    assert POLICY.intake.expected_due_within_days == 300
    assert TimescalePolicy.model_validate_json(POLICY.model_dump_json()) == POLICY
    assert (POLICY.mace.working_days, POLICY.nrm.working_days) == (5, 2)
    for step in set(Step) - {Step.mace_action}:  # an action is due on its agreed date
        rag = Rag.amber if step in (Step.agency_check, Step.mash_decision) else None
        outcome = {
            Step.strategy_discussion: DecisionOutcome.strategy_discussion,
            Step.visit: DecisionOutcome.assessment,
        }.get(step)
        assert POLICY.timescale_for(step, rag=rag, outcome=outcome) is not None


# The MASH decision is the managers' step: red counts 4 office hours (09:00-17:00 London) from
# receipt; amber 1 and green 3 working days.
MASH_DECISION = [
    # An ordinary Wednesday: 10:00 + 4 h = 14:00 BST.
    (Rag.red, london(2026, 6, 10, 10), utc(2026, 6, 10, 13)),
    # Friday 15:00 BST: 2 h on Friday, 2 h from Monday 09:00: Monday 11:00 BST.
    (Rag.red, london(2026, 6, 12, 15), utc(2026, 6, 15, 10)),
    # Friday 18:00 (after closing) and Saturday: all four hours on Monday, 13:00 BST.
    (Rag.red, london(2026, 6, 12, 18), utc(2026, 6, 15, 12)),
    (Rag.red, london(2026, 6, 13, 14, 30), utc(2026, 6, 15, 12)),
    # Before opening: 08:00 counts from 09:00, 13:00 BST.
    (Rag.red, london(2026, 6, 10, 8), utc(2026, 6, 10, 12)),
    # Amber over the weekend: Friday 15:00 to Monday 15:00 BST.
    (Rag.amber, london(2026, 6, 12, 15), utc(2026, 6, 15, 14)),
    # Green from Thursday 10:00 BST: Friday, Monday, Tuesday 16 June.
    (Rag.green, london(2026, 6, 11, 10), utc(2026, 6, 16, 9)),
    # Easter 2026 (Good Friday 3 April, Easter Monday 6 April), from Thursday 2 April BST.
    (Rag.red, london(2026, 4, 2, 15), utc(2026, 4, 7, 10)),  # 2 h Thu, 2 h Tue: 11:00 BST
    (Rag.amber, london(2026, 4, 2, 11), utc(2026, 4, 7, 10)),  # Tuesday 7 April 11:00 BST
    (Rag.green, london(2026, 4, 2, 11), utc(2026, 4, 9, 10)),  # Tue 7, Wed 8, Thu 9 April
    # Clocks forward on Sunday 29 March 2026, from Friday 27 March (GMT).
    (Rag.red, london(2026, 3, 27, 15), utc(2026, 3, 30, 10)),  # Monday 11:00 BST
    (Rag.amber, london(2026, 3, 27, 10), utc(2026, 3, 30, 9)),  # Monday 10:00 BST
    (Rag.green, london(2026, 3, 27, 10), utc(2026, 4, 1, 9)),  # Mon 30, Tue 31, Wed 1 April
    # Clocks back on Sunday 25 October 2026, from Friday 23 October (BST).
    (Rag.red, london(2026, 10, 23, 15), utc(2026, 10, 26, 11)),  # Monday 11:00 GMT
    (Rag.amber, london(2026, 10, 23, 10), utc(2026, 10, 26, 10)),  # Monday 10:00 GMT
    # Christmas 2026: Friday 25 Dec, Saturday 26 (Boxing Day), Monday 28 (its substitute).
    (Rag.red, london(2026, 12, 24, 15), utc(2026, 12, 29, 11)),  # 2 h Thu 24, 2 h Tue 29
    (Rag.amber, london(2026, 12, 24, 10), utc(2026, 12, 29, 10)),
    (Rag.green, london(2026, 12, 23, 12), utc(2026, 12, 30, 12)),  # 24, 29, 30 December
    # New Year's Day 2027 is a Friday: Thursday 31 Dec + 3: Mon 4, Tue 5, Wed 6 January.
    (Rag.green, london(2026, 12, 31, 15), utc(2027, 1, 6, 15)),
    # One-off holidays the calendar knows: the coronation (Monday 8 May 2023) ...
    (Rag.red, london(2023, 5, 5, 16), utc(2023, 5, 9, 11)),  # 1 h Fri, 3 h Tue 9 May: 12:00 BST
    (Rag.amber, london(2023, 5, 5, 15), utc(2023, 5, 9, 14)),  # Tuesday 9 May 15:00 BST
    # ... and the late Queen's state funeral (Monday 19 September 2022).
    (Rag.amber, london(2022, 9, 16, 10), utc(2022, 9, 20, 9)),  # Tuesday 20 Sep 10:00 BST
]


@pytest.mark.parametrize(("rag", "received", "expected"), MASH_DECISION)
def test_mash_decision_due(rag: Rag, received: datetime, expected: datetime) -> None:
    assert_same_utc(POLICY.due(Step.mash_decision, received, rag=rag, team=MANAGERS), expected)


def test_a_proclaimed_holiday_moves_the_mash_decision() -> None:
    # Monday 15 June 2026 proclaimed a bank holiday.
    proclaimed = with_holidays(date(2026, 6, 15))
    friday = london(2026, 6, 12, 15)
    # Amber: Friday 15:00 BST to Tuesday 16 June 15:00 BST.
    amber = proclaimed.due(Step.mash_decision, friday, rag=Rag.amber, team=MANAGERS)
    assert_same_utc(amber, utc(2026, 6, 16, 14))
    # Red: 2 h on Friday, 2 h on Tuesday: 11:00 BST.
    red = proclaimed.due(Step.mash_decision, friday, rag=Rag.red, team=MANAGERS)
    assert_same_utc(red, utc(2026, 6, 16, 10))
    # The shipped edition is unchanged: Monday.
    assert_same_utc(
        POLICY.due(Step.mash_decision, friday, rag=Rag.amber, team=MANAGERS), utc(2026, 6, 15, 14)
    )


# The referral decision: one working day from `referral_at`.
REFERRAL_DECISION = [
    # Wednesday 14:20 BST to Thursday 14:20 BST.
    (london(2026, 6, 10, 14, 20), utc(2026, 6, 11, 13, 20)),
    # Friday before the spring bank holiday (Monday 25 May): Tuesday 26 May 16:00 BST.
    (london(2026, 5, 22, 16), utc(2026, 5, 26, 15)),
    # Saturday 23 May moves to Tuesday 26 May 09:00, then one day: Wednesday 27 May 09:00 BST.
    (london(2026, 5, 23, 11), utc(2026, 5, 27, 8)),
    # Christmas Eve 16:30 GMT: 25, 26-27 and 28 December are off: Tuesday 29 December.
    (london(2026, 12, 24, 16, 30), utc(2026, 12, 29, 16, 30)),
    # Across the clocks going back: Friday 23 Oct 16:00 BST to Monday 26 Oct 16:00 GMT.
    (london(2026, 10, 23, 16), utc(2026, 10, 26, 16)),
]


@pytest.mark.parametrize(("referral_at", "expected"), REFERRAL_DECISION)
def test_referral_decision_due(referral_at: datetime, expected: datetime) -> None:
    assert_same_utc(POLICY.due(Step.referral_decision, referral_at, team=MANAGERS), expected)


# The acknowledgement: one working day from the contact's receipt.
ACKNOWLEDGEMENT = [
    # Across the clocks going forward: Friday 27 March 12:00 GMT to Monday 30 March 12:00 BST.
    (london(2026, 3, 27, 12), utc(2026, 3, 30, 11)),
    # Thursday 31 December 09:30 GMT: New Year's Day and the weekend: Monday 4 January 2027.
    (london(2026, 12, 31, 9, 30), utc(2027, 1, 4, 9, 30)),
    # Easter Monday 08:00 moves to Tuesday 7 April 09:00, then one day: Wednesday 09:00 BST.
    (london(2026, 4, 6, 8), utc(2026, 4, 8, 8)),
]


@pytest.mark.parametrize(("received", "expected"), ACKNOWLEDGEMENT)
def test_acknowledgement_due(received: datetime, expected: datetime) -> None:
    assert_same_utc(POLICY.due(Step.acknowledgement, received, team=PRACTITIONERS), expected)


# The assessment: 45 working days from `referral_at`.
ASSESSMENT = [
    # Wed 10 June 2026 10:00 BST: June 11-12 (2), 15-19 (7), 22-26 (12), 29-30 (14); July 1-3
    # (17), 6-10 (22), 13-17 (27), 20-24 (32), 27-31 (37); Aug 3-7 (42), 10-12 (45).
    (london(2026, 6, 10, 10), utc(2026, 8, 12, 9)),
    # Mon 14 Sep 2026 11:00 BST, across the clocks going back: Sep 15-18 (4), 21-25 (9), 28-30
    # (12); Oct 1-2 (14), 5-9 (19), 12-16 (24), 19-23 (29), 26-30 (34); Nov 2-6 (39), 9-13 (44),
    # Mon 16 Nov (45) at 11:00 GMT.
    (london(2026, 9, 14, 11), utc(2026, 11, 16, 11)),
    # Tue 1 Dec 2026 10:00 GMT, across Christmas and New Year: Dec 2-4 (3), 7-11 (8), 14-18 (13),
    # 21-24 (17), 29-31 (20); Jan 4-8 (25), 11-15 (30), 18-22 (35), 25-29 (40); Feb 1-5 (45).
    (london(2026, 12, 1, 10), utc(2027, 2, 5, 10)),
    # Mon 2 Mar 2026 14:00 GMT, across the clocks going forward, Easter and the early May bank
    # holiday: Mar 3-6 (4), 9-13 (9), 16-20 (14), 23-27 (19), 30-31 (21); Apr 1-2 (23), 7-10
    # (27), 13-17 (32), 20-24 (37), 27-30 (41); May 1 (42), 5-7 (45) at 14:00 BST.
    (london(2026, 3, 2, 14), utc(2026, 5, 7, 13)),
]


@pytest.mark.parametrize(("referral_at", "expected"), ASSESSMENT)
def test_assessment_due_in_45_working_days(referral_at: datetime, expected: datetime) -> None:
    assert_same_utc(POLICY.due(Step.assessment, referral_at, team="receiving_team"), expected)


# The initial child protection conference: 15 working days from the strategy discussion.
ICPC = [
    # Wed 10 June 2026 10:00 BST: June 11-12 (2), 15-19 (7), 22-26 (12), 29-30 (14), July 1 (15).
    (london(2026, 6, 10, 10), utc(2026, 7, 1, 9)),
    # Mon 14 Dec 2026 15:00 GMT: Dec 15-18 (4), 21-24 (8), 29-31 (11); Jan 4-7 (15).
    (london(2026, 12, 14, 15), utc(2027, 1, 7, 15)),
    # Fri 16 Oct 2026 11:00 BST: Oct 19-23 (5), 26-30 (10); Nov 2-6 (15) at 11:00 GMT.
    (london(2026, 10, 16, 11), utc(2026, 11, 6, 11)),
    # Thu 14 May 2026 09:30 BST: May 15 (1), 18-22 (6), 26-29 (10, the 25th a bank holiday);
    # June 1-5 (15).
    (london(2026, 5, 14, 9, 30), utc(2026, 6, 5, 8, 30)),
]


@pytest.mark.parametrize(("strategy_at", "expected"), ICPC)
def test_conference_due_in_15_working_days(strategy_at: datetime, expected: datetime) -> None:
    assert_same_utc(POLICY.due(Step.icpc, strategy_at, team="receiving_team"), expected)


def test_visits_and_urgent_strategy_discussions_count_clock_hours_whatever_the_team() -> None:
    friday = london(2026, 6, 12, 16)  # 15:00 UTC
    # Within 24 clock hours: Saturday 16:00 BST, though the practitioners work office hours.
    visit = POLICY.due(
        Step.visit, friday, outcome=DecisionOutcome.immediate_protection, team=PRACTITIONERS
    )
    assert_same_utc(visit, utc(2026, 6, 13, 15))
    strategy = POLICY.due(
        Step.strategy_discussion,
        friday,
        outcome=DecisionOutcome.immediate_protection,
        team=MANAGERS,
    )
    assert_same_utc(strategy, utc(2026, 6, 12, 17))  # 18:00 BST
    # An assessment visit: five working days, Mon 15 .. Fri 19 June 16:00 BST.
    assessment = POLICY.due(Step.visit, friday, outcome=DecisionOutcome.assessment)
    assert_same_utc(assessment, utc(2026, 6, 19, 15))


# Agency checks in each agency's pattern, from screening on Friday 12 June 2026 15:00 BST.
SCREENED_FRIDAY = london(2026, 6, 12, 15)
AGENCY_CHECKS = [
    # Green, 3 working days: Mon 15, Tue 16, Wed 17 June 15:00 BST, not Saturday.
    ("agency:education", Rag.green, utc(2026, 6, 17, 14)),
    # Red, 4 office hours: 2 h on Friday, 2 h on Monday: 11:00 BST.
    ("agency:education", Rag.red, utc(2026, 6, 15, 10)),
    ("agency:housing", Rag.red, utc(2026, 6, 15, 10)),
    # The police and health work all hours: Friday 19:00 BST.
    ("agency:police", Rag.red, utc(2026, 6, 12, 18)),
    ("agency:health", Rag.red, utc(2026, 6, 12, 18)),
    # Amber, 1 working day: Monday 15:00 BST, whichever the agency.
    ("agency:police", Rag.amber, utc(2026, 6, 15, 14)),
]


@pytest.mark.parametrize(("team", "rag", "expected"), AGENCY_CHECKS)
def test_agency_checks_due_in_the_agencys_pattern(team: str, rag: Rag, expected: datetime) -> None:
    assert_same_utc(POLICY.checks_due(SCREENED_FRIDAY, rag, team=team), expected)
    assert_same_utc(POLICY.due(Step.agency_check, SCREENED_FRIDAY, rag=rag, team=team), expected)


def test_the_first_edition_would_have_had_schools_answer_on_saturday() -> None:
    # england-2023: green checks in 24 clock hours, Saturday 13 June 15:00 BST.
    assert_same_utc(
        ENGLAND_2023.checks_due(SCREENED_FRIDAY, Rag.green, team="agency:education"),
        utc(2026, 6, 13, 14),
    )


def test_a_police_check_screened_on_saturday_counts_saturday() -> None:
    # Saturday 13 June 10:00 BST + 4 h = 14:00 BST.
    saturday = london(2026, 6, 13, 10)
    assert_same_utc(
        POLICY.checks_due(saturday, Rag.red, team="agency:police"), utc(2026, 6, 13, 13)
    )


# The checks margin: the checks end at least an hour before the MASH decision is due.
RECEIVED_WEDNESDAY = london(2026, 6, 10, 10)
CHECKS_MARGIN = [
    # Red: the decision is due at 14:00 BST. Screened 10:30 BST, the police's 4 hours would end
    # at 14:30 and a school's 4 office hours at 14:30 too: both end at 13:00 BST.
    (Rag.red, london(2026, 6, 10, 10, 30), "agency:police", utc(2026, 6, 10, 12)),
    (Rag.red, london(2026, 6, 10, 10, 30), "agency:education", utc(2026, 6, 10, 12)),
    # Screened at 13:30 BST, already past 13:00: due at once (never before screening).
    (Rag.red, london(2026, 6, 10, 13, 30), "agency:police", utc(2026, 6, 10, 12, 30)),
    # Amber: the decision is due Thursday 10:00 BST; screened Wednesday 11:00, the checks would
    # be due Thursday 11:00: Thursday 09:00 BST.
    (Rag.amber, london(2026, 6, 10, 11), "agency:health", utc(2026, 6, 11, 8)),
]


@pytest.mark.parametrize(("rag", "screened", "team", "expected"), CHECKS_MARGIN)
def test_checks_leave_the_margin_before_the_mash_decision(
    rag: Rag, screened: datetime, team: str, expected: datetime
) -> None:
    decision_due = POLICY.due(Step.mash_decision, RECEIVED_WEDNESDAY, rag=rag, team=MANAGERS)
    assert_same_utc(POLICY.checks_due(screened, rag, decision_due, team=team), expected)


def test_a_check_well_inside_the_window_is_not_moved() -> None:
    # Green: the decision is due Monday 15 June 10:00 BST (Thu, Fri, Mon from Wednesday). A
    # police check screened Wednesday 10:30 BST asked with a red rating would end at 14:30 BST.
    decision_due = POLICY.due(Step.mash_decision, RECEIVED_WEDNESDAY, rag=Rag.green)
    assert_same_utc(decision_due, utc(2026, 6, 15, 9))
    screened = london(2026, 6, 10, 10, 30)
    checks = POLICY.checks_due(screened, Rag.red, decision_due, team="agency:police")
    assert_same_utc(checks, utc(2026, 6, 10, 13, 30))


def test_the_ladder_goes_to_the_emergency_duty_team_out_of_hours() -> None:
    # Red, received Friday 12 June 18:00 BST: due Monday 15 June 13:00 BST (12:00Z). W = 67 h.
    received = london(2026, 6, 12, 18)
    decision_due = POLICY.due(Step.mash_decision, received, rag=Rag.red, team=MANAGERS)
    rungs = POLICY.ladder(received, decision_due, team=MANAGERS)
    assert [(r.level, r.role, r.at) for r in rungs] == [
        # Reminder at due - 16 h 45 min, Sunday 20:15 BST: the assignee, even out of hours.
        (0, Role.assignee, utc(2026, 6, 14, 19, 15)),
        # Monday 13:00 BST, in hours.
        (1, Role.team_manager, utc(2026, 6, 15, 12)),
        # due + 33 h 30 min: Tuesday 16 June 22:30 BST.
        (2, Role.emergency_duty, utc(2026, 6, 16, 21, 30)),
        # due + 67 h: Thursday 18 June 08:00 BST, before the office opens.
        (3, Role.emergency_duty, utc(2026, 6, 18, 7)),
    ]


def test_rungs_in_hours_keep_their_roles() -> None:
    # Immediate protection decided Wednesday 10 June 11:00 BST: due 13:00, W = 2 h.
    decided = london(2026, 6, 10, 11)
    due = POLICY.due(
        Step.strategy_discussion, decided, outcome=DecisionOutcome.immediate_protection
    )
    rungs = POLICY.ladder(decided, due, team=MANAGERS)
    assert [(r.role, r.at) for r in rungs] == [
        (Role.assignee, utc(2026, 6, 10, 11, 30)),
        (Role.team_manager, utc(2026, 6, 10, 12)),
        (Role.service_manager, utc(2026, 6, 10, 13)),
        (Role.head_of_service, utc(2026, 6, 10, 14)),
    ]


def test_a_rung_at_ten_on_a_friday_night_goes_to_the_emergency_duty_team() -> None:
    # Immediate protection decided Friday 12 June 18:00 BST: due 20:00 BST, W = 2 h.
    decided = london(2026, 6, 12, 18)
    due = POLICY.due(
        Step.strategy_discussion, decided, outcome=DecisionOutcome.immediate_protection
    )
    rungs = POLICY.ladder(decided, due, team=MANAGERS)
    assert [(r.level, r.role, r.at) for r in rungs] == [
        (0, Role.assignee, utc(2026, 6, 12, 18, 30)),
        (1, Role.emergency_duty, utc(2026, 6, 12, 19)),
        (2, Role.emergency_duty, utc(2026, 6, 12, 20)),
        (3, Role.emergency_duty, utc(2026, 6, 12, 21)),  # 22:00 BST on a Friday
    ]
    assert rungs[3].at.astimezone(LONDON).hour == 22


def test_a_rung_on_a_bank_holiday_goes_to_the_emergency_duty_team() -> None:
    # Amber, received Friday 22 May 2026 16:00 BST: due Tuesday 26 May 16:00 BST; W = 96 h.
    received = london(2026, 5, 22, 16)
    due = POLICY.due(Step.mash_decision, received, rag=Rag.amber, team=MANAGERS)
    rungs = POLICY.ladder(received, due, team=MANAGERS)
    assert [(r.role, r.at) for r in rungs] == [
        (Role.assignee, utc(2026, 5, 25, 15)),  # the bank holiday, a reminder all the same
        (Role.team_manager, utc(2026, 5, 26, 15)),  # Tuesday 16:00 BST
        (Role.service_manager, utc(2026, 5, 28, 15)),  # Thursday 16:00 BST
        (Role.emergency_duty, utc(2026, 5, 30, 15)),  # Saturday
    ]
    # With Thursday 28 May proclaimed a holiday, the service manager's rung is out of hours too.
    proclaimed = with_holidays(date(2026, 5, 28))
    rungs = proclaimed.ladder(received, due, team=MANAGERS)
    assert rungs[2].role == Role.emergency_duty
