"""The England working-day calendar: weekends, bank holidays, proclamations and clock changes;
working patterns (office hours, all hours) and hours counted inside them."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from domain.calendar import (
    ALL_HOURS,
    DEFAULT_CALENDAR,
    LONDON,
    OFFICE_HOURS,
    PatternKind,
    WorkingCalendar,
    WorkingPattern,
    add_hours,
    add_working_days,
    bank_holidays,
    is_working_day,
)


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Europe/London wall-clock instant, as a member of staff would read it."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def assert_same_utc(actual: datetime, expected: datetime) -> None:
    """Same instant, and expressed in UTC (aware datetimes compare equal across zones)."""
    assert actual == expected
    assert actual.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 5, 22), True),  # Friday
        (date(2026, 5, 23), False),  # Saturday
        (date(2026, 5, 24), False),  # Sunday
        (date(2026, 5, 25), False),  # spring bank holiday
        (date(2026, 5, 26), True),  # Tuesday
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 12, 24), True),  # Christmas Eve is worked
        (date(2026, 12, 25), False),  # Christmas Day, a Friday
        (date(2026, 12, 28), False),  # Boxing Day substitute: 26 Dec 2026 is a Saturday
        (date(2026, 12, 29), True),
        (date(2027, 1, 1), False),  # New Year's Day, a Friday
        (date(2022, 9, 19), False),  # a one-off: the late Queen's state funeral
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working
    assert DEFAULT_CALENDAR.is_working_day(day) is working


def test_bank_holidays_come_from_the_holidays_package() -> None:
    assert bank_holidays(2026) == {
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 28),
    }
    # Cached: the same set, not a fresh computation.
    assert bank_holidays(2026) is bank_holidays(2026)


def test_amber_friday_before_bank_holiday_is_due_tuesday() -> None:
    received = london(2026, 5, 22, 16)  # Friday 16:00 BST
    assert_same_utc(add_working_days(received, 1), utc(2026, 5, 26, 15))  # Tuesday 16:00 BST


def test_instant_in_another_zone_is_read_in_london() -> None:
    # 15:00 UTC is 16:00 BST: the same referral as above.
    assert_same_utc(add_working_days(utc(2026, 5, 22, 15), 1), utc(2026, 5, 26, 15))


def test_late_friday_evening_keeps_its_wall_clock_time() -> None:
    # 23:30 BST on a working day is counted from as it is, not moved to 09:00.
    assert_same_utc(add_working_days(london(2026, 6, 12, 23, 30), 1), utc(2026, 6, 15, 22, 30))


def test_friday_late_utc_is_saturday_in_london() -> None:
    # 23:30 UTC on Friday is 00:30 BST on Saturday: a non-working day, so Monday 09:00.
    assert_same_utc(add_working_days(utc(2026, 6, 12, 23, 30), 0), utc(2026, 6, 15, 8))


def test_zero_working_days_from_a_saturday_is_monday_nine() -> None:
    assert_same_utc(add_working_days(london(2026, 6, 13, 14, 30), 0), utc(2026, 6, 15, 8))


def test_saturday_moves_to_monday_nine_then_adds() -> None:
    saturday = london(2026, 6, 13, 14, 30)
    assert_same_utc(add_working_days(saturday, 1), utc(2026, 6, 16, 8))  # Tuesday 09:00 BST
    assert_same_utc(add_working_days(saturday, 2), utc(2026, 6, 17, 8))  # Wednesday 09:00 BST


def test_sunday_in_winter_is_gmt() -> None:
    assert_same_utc(add_working_days(london(2026, 1, 18, 11), 1), utc(2026, 1, 20, 9))


def test_zero_working_days_from_a_working_day_is_the_same_instant() -> None:
    assert_same_utc(add_working_days(london(2026, 6, 10, 10, 15), 0), utc(2026, 6, 10, 9, 15))


def test_saturday_before_a_bank_holiday_moves_to_tuesday_nine() -> None:
    assert_same_utc(add_working_days(london(2026, 5, 23, 11), 0), utc(2026, 5, 26, 8))


def test_across_christmas_and_new_year() -> None:
    # Thursday 24 Dec 2026 10:00 GMT: 25 (Fri), 26-27 (weekend) and 28 (substitute) are off.
    assert_same_utc(add_working_days(london(2026, 12, 24, 10), 1), utc(2026, 12, 29, 10))
    # Wednesday 23 Dec + 3: 24, 29, 30 December.
    assert_same_utc(add_working_days(london(2026, 12, 23, 12), 3), utc(2026, 12, 30, 12))
    # Thursday 31 Dec + 1: 1 Jan 2027 (Fri) is off, then the weekend.
    assert_same_utc(add_working_days(london(2026, 12, 31, 15), 1), utc(2027, 1, 4, 15))
    # Boxing Day (a Saturday) moves to Tuesday 29 December 09:00.
    assert_same_utc(add_working_days(london(2026, 12, 26, 12), 0), utc(2026, 12, 29, 9))


def test_clocks_going_back_keep_the_wall_clock_time() -> None:
    # Friday 23 Oct 2026 10:00 BST, clocks back on Sunday 25 Oct: Monday 10:00 GMT = 10:00 UTC.
    friday = london(2026, 10, 23, 10)
    assert friday == utc(2026, 10, 23, 9)
    assert_same_utc(add_working_days(friday, 1), utc(2026, 10, 26, 10))


def test_clocks_going_forward_keep_the_wall_clock_time() -> None:
    # Friday 27 Mar 2026 10:00 GMT, clocks forward on Sunday 29 Mar: Monday 10:00 BST = 09:00 UTC.
    assert_same_utc(add_working_days(london(2026, 3, 27, 10), 1), utc(2026, 3, 30, 9))


def test_weekend_of_the_clock_change_moves_to_monday_nine_gmt() -> None:
    assert_same_utc(add_working_days(london(2026, 10, 24, 12), 0), utc(2026, 10, 26, 9))


def test_extra_one_off_holiday_is_honoured() -> None:
    proclaimed = WorkingCalendar(extra_holidays=frozenset({date(2026, 6, 15)}))
    friday = london(2026, 6, 12, 10)
    assert not proclaimed.is_working_day(date(2026, 6, 15))
    assert is_working_day(date(2026, 6, 15))  # the default calendar is unchanged
    assert_same_utc(add_working_days(friday, 1, proclaimed), utc(2026, 6, 16, 9))
    assert_same_utc(add_working_days(friday, 1), utc(2026, 6, 15, 9))
    assert is_working_day(date(2026, 6, 15), proclaimed) is False


def test_add_hours_is_elapsed_time_across_the_clock_change() -> None:
    # Saturday 24 Oct 2026 12:00 BST + 24 hours is Sunday 11:00 GMT: one hour gained overnight.
    result = add_hours(london(2026, 10, 24, 12), 24)
    assert_same_utc(result, utc(2026, 10, 25, 11))
    assert result.astimezone(LONDON).hour == 11


def test_add_hours_ignores_weekends_and_holidays() -> None:
    assert_same_utc(add_hours(london(2026, 5, 22, 16), 72), utc(2026, 5, 25, 15))
    assert_same_utc(DEFAULT_CALENDAR.add_hours(utc(2026, 5, 22, 15), 1.5), utc(2026, 5, 22, 16, 30))


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(datetime(2026, 5, 22, 16), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_hours(datetime(2026, 5, 22, 16), 1)


def test_negative_working_days_are_rejected() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(london(2026, 5, 22, 16), -1)


# Office hours: 09:00 to 17:00 London time on working days.
OFFICE_HOURS_CASES = [
    # Friday 12 June 2026 15:00 BST + 4 h: 2 h to closing, 2 h from Monday 09:00: 11:00 BST.
    (london(2026, 6, 12, 15), 4, utc(2026, 6, 15, 10)),
    # + 2 h ends exactly at closing on Friday, 17:00 BST.
    (london(2026, 6, 12, 15), 2, utc(2026, 6, 12, 16)),
    # Before opening: Wednesday 07:30 counts from 09:00: 10:00 BST.
    (london(2026, 6, 10, 7, 30), 1, utc(2026, 6, 10, 9)),
    # After closing: Wednesday 19:00 counts from Thursday 09:00: 10:00 BST.
    (london(2026, 6, 10, 19), 1, utc(2026, 6, 11, 9)),
    # Exactly at closing counts from the next opening.
    (london(2026, 6, 10, 17), 1, utc(2026, 6, 11, 9)),
    # Half an hour on Wednesday (16:30-17:00), one on Thursday: 10:00 BST.
    (london(2026, 6, 10, 16, 30), 1.5, utc(2026, 6, 11, 9)),
    # 24 office hours from Monday 09:00: three whole days, Wednesday 17:00 BST.
    (london(2026, 6, 15, 9), 24, utc(2026, 6, 17, 16)),
    # Before the spring bank holiday (Monday 25 May): 2 h Friday, 2 h Tuesday: 11:00 BST.
    (london(2026, 5, 22, 15), 4, utc(2026, 5, 26, 10)),
    # Clocks back: Friday 23 Oct 16:00 BST + 2 h: 1 h Friday, Monday 10:00 GMT.
    (london(2026, 10, 23, 16), 2, utc(2026, 10, 26, 10)),
    # Clocks forward: Friday 27 Mar 16:00 GMT + 2 h: 1 h Friday, Monday 10:00 BST.
    (london(2026, 3, 27, 16), 2, utc(2026, 3, 30, 9)),
    # Christmas Eve 16:00 GMT + 3 h: 1 h Thursday; 25, 26-27 and 28 off; Tuesday 29 at 11:00.
    (london(2026, 12, 24, 16), 3, utc(2026, 12, 29, 11)),
    # Saturday 13 June: all of it from Monday 09:00, 09:45 BST.
    (london(2026, 6, 13, 12), 0.75, utc(2026, 6, 15, 8, 45)),
]


@pytest.mark.parametrize(("start", "hours", "expected"), OFFICE_HOURS_CASES)
def test_hours_counted_in_office_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert_same_utc(OFFICE_HOURS.add_hours(start, hours), expected)


def test_office_hours_honour_an_extra_holiday() -> None:
    proclaimed = WorkingCalendar(extra_holidays=frozenset({date(2026, 6, 15)}))
    # Friday 15:00 BST + 4 h with Monday proclaimed: Tuesday 16 June 11:00 BST.
    assert_same_utc(
        OFFICE_HOURS.add_hours(london(2026, 6, 12, 15), 4, proclaimed), utc(2026, 6, 16, 10)
    )


def test_a_pattern_with_its_own_hours() -> None:
    extended = WorkingPattern(kind=PatternKind.office, opens=time(8), closes=time(20))
    # Friday 18:00 BST + 4 h: 2 h to 20:00, 2 h from Monday 08:00: 10:00 BST.
    assert_same_utc(extended.add_hours(london(2026, 6, 12, 18), 4), utc(2026, 6, 15, 9))
    assert extended.is_open(london(2026, 6, 12, 19, 59))
    assert not extended.is_open(london(2026, 6, 12, 20))


def test_all_hours_are_clock_hours() -> None:
    # Friday 15:00 BST + 4 h = 19:00 BST; across the clocks going back, 24 h from Saturday
    # 12:00 BST is Sunday 11:00 GMT.
    assert_same_utc(ALL_HOURS.add_hours(london(2026, 6, 12, 15), 4), utc(2026, 6, 12, 18))
    assert_same_utc(ALL_HOURS.add_hours(london(2026, 10, 24, 12), 24), utc(2026, 10, 25, 11))


@pytest.mark.parametrize(
    ("instant", "office_open"),
    [
        (london(2026, 6, 12, 9), True),  # opening
        (london(2026, 6, 12, 16, 59), True),
        (london(2026, 6, 12, 17), False),  # closing
        (london(2026, 6, 12, 8, 59), False),
        (london(2026, 6, 12, 22), False),  # Friday night
        (london(2026, 6, 13, 11), False),  # Saturday
        (london(2026, 5, 25, 11), False),  # the spring bank holiday
        (utc(2026, 12, 29, 9), True),  # Tuesday after Christmas, 09:00 GMT
    ],
)
def test_is_open(instant: datetime, office_open: bool) -> None:
    assert OFFICE_HOURS.is_open(instant) is office_open
    assert ALL_HOURS.is_open(instant)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "office", "opens": "17:00", "closes": "09:00"},
        {"kind": "office", "opens": "09:00", "closes": "09:00"},
        {"kind": "office", "opens": "09:00+01:00"},
        {"kind": "sometimes"},
        {"kind": "office", "days": 5},
    ],
)
def test_invalid_patterns_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WorkingPattern.model_validate(fields)


def test_patterns_refuse_naive_instants_and_negative_hours() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE_HOURS.add_hours(datetime(2026, 6, 12, 15), 1)
    with pytest.raises(ValueError, match="zero or more"):
        OFFICE_HOURS.add_hours(london(2026, 6, 12, 15), -1)
