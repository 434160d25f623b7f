"""The England working-day calendar: weekends, bank holidays and Europe/London wall-clock time.

A working day is Monday to Friday and not an England bank holiday. Bank holidays come from the
`holidays` package (GB, subdivision ENG), never from a hand-written list, and one-off holidays
announced by proclamation can be added per calendar. A `WorkingPattern` says when a team works:
office hours on working days, or all hours; hour timescales count inside it. Every function is
pure and deterministic, so it is safe inside the Temporal workflow sandbox; results are aware
datetimes in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Self
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, ConfigDict, model_validator

LONDON = ZoneInfo("Europe/London")
"""The zone every working-day rule is read in."""

WORKING_DAY_START = time(9, 0)
"""Where an instant on a non-working day moves to, on the next working day, before counting."""

# `holidays` loads each country's module lazily, through importlib, on first use. Asking for an
# empty year range here loads the UK module when this module is imported (outside any workflow
# sandbox) instead of during the first deadline computed inside one.
holidays.country_holidays("GB", subdiv="ENG", years=())

# England's bank holidays per year. The set for a year depends only on the installed `holidays`
# version, so caching it is deterministic; a race between threads only computes a year twice.
_BANK_HOLIDAYS: dict[int, frozenset[date]] = {}


def bank_holidays(year: int) -> frozenset[date]:
    """England's bank holidays in `year` (including substitute days and one-off holidays that the
    `holidays` package knows about), cached per year."""
    cached = _BANK_HOLIDAYS.get(year)
    if cached is None:
        cached = frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())
        _BANK_HOLIDAYS[year] = cached
    return cached


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got naive {instant.isoformat()}")


@dataclass(frozen=True)
class WorkingCalendar:
    """England's working days, plus `extra_holidays`: one-off days off announced by proclamation
    that the installed `holidays` package does not know yet."""

    extra_holidays: frozenset[date] = frozenset()

    def is_holiday(self, d: date) -> bool:
        """Whether `d` is an England bank holiday or one of this calendar's extra holidays."""
        return d in self.extra_holidays or d in bank_holidays(d.year)

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is Monday to Friday and not a holiday."""
        return d.weekday() < 5 and not self.is_holiday(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, instant: datetime, n: int) -> datetime:
        """`instant` plus `n` working days, in UTC.

        In London time: an instant on a non-working day first moves to 09:00 of the next working
        day; then `n` working days are added keeping the local wall-clock time, so 10:00 BST on a
        Friday before the clocks go back gives 10:00 GMT on the Monday after.
        """
        _require_aware(instant)
        if n < 0:
            raise ValueError(f"n must be zero or more working days, got {n}")
        local = instant.astimezone(LONDON)
        day, wall_clock = local.date(), local.time()
        if not self.is_working_day(day):
            day, wall_clock = self.next_working_day(day), WORKING_DAY_START
        for _ in range(n):
            day = self.next_working_day(day)
        # Build the wall-clock time afresh in London (fold=0) rather than adding a timedelta to an
        # aware datetime, so the offset is the one in force on the target day, not the start day.
        result = datetime.combine(day, wall_clock, tzinfo=LONDON).replace(fold=0)
        return result.astimezone(UTC)

    def add_hours(self, instant: datetime, hours: float) -> datetime:
        """`instant` plus `hours` clock hours (elapsed time, weekends and holidays included)."""
        return add_hours(instant, hours)


DEFAULT_CALENDAR = WorkingCalendar()
"""England's calendar with no extra holidays."""


def is_working_day(d: date, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
    """Whether `d` is a working day in `calendar` (England's by default)."""
    return calendar.is_working_day(d)


def add_working_days(
    instant: datetime, n: int, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> datetime:
    """`instant` plus `n` working days of `calendar`, in UTC.

    See `WorkingCalendar.add_working_days` for the rule (non-working days start at 09:00).
    """
    return calendar.add_working_days(instant, n)


def add_hours(instant: datetime, hours: float) -> datetime:
    """`instant` plus `hours` clock hours, in UTC.

    The instant is converted to UTC first: adding a timedelta to a datetime whose tzinfo is
    Europe/London would add wall-clock time and be an hour out across a clock change.
    """
    _require_aware(instant)
    return instant.astimezone(UTC) + timedelta(hours=hours)


class PatternKind(StrEnum):
    """Whether a team works office hours on working days only, or every hour of every day."""

    office = "office"
    all_hours = "all_hours"


class WorkingPattern(BaseModel):
    """When a team works: `office` (from `opens` to `closes`, London time, on the calendar's
    working days) or `all_hours`. An hour timescale counts only the hours inside the pattern."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: PatternKind
    opens: time = WORKING_DAY_START
    closes: time = time(17, 0)

    @model_validator(mode="after")
    def _a_working_day_has_hours(self) -> Self:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are London wall-clock times, without a zone")
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self

    def is_open(self, instant: datetime, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
        """Whether `instant` falls inside this pattern's working hours."""
        _require_aware(instant)
        if self.kind is PatternKind.all_hours:
            return True
        local = instant.astimezone(LONDON)
        return calendar.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def add_hours(
        self, instant: datetime, hours: float, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """`instant` plus `hours` hours counted inside this pattern, in UTC.

        All hours: elapsed clock time. Office: an instant outside the hours first moves to the
        next opening (09:00 that working day, or of the next one); hours are then spent inside
        the working day, carrying what is left over to the next working day's opening. A due time
        may fall exactly at closing: Friday 15:00 plus 2 hours is Friday 17:00, plus 4 hours is
        Monday 11:00.
        """
        _require_aware(instant)
        if hours < 0:
            raise ValueError(f"hours must be zero or more, got {hours}")
        if self.kind is PatternKind.all_hours:
            return add_hours(instant, hours)
        local = instant.astimezone(LONDON)
        day = local.date()
        start = instant.astimezone(UTC)
        if not calendar.is_working_day(day) or local.time() >= self.closes:
            day = calendar.next_working_day(day)
            start = _london(day, self.opens)
        elif local.time() < self.opens:
            start = _london(day, self.opens)
        remaining = timedelta(hours=hours)
        while True:
            available = _london(day, self.closes) - start
            if remaining <= available:
                return start + remaining
            remaining -= available
            day = calendar.next_working_day(day)
            start = _london(day, self.opens)


def _london(day: date, wall_clock: time) -> datetime:
    """The UTC instant of `wall_clock` on `day` in London (fold=0 at an ambiguous hour)."""
    return datetime.combine(day, wall_clock, tzinfo=LONDON).astimezone(UTC)


OFFICE_HOURS = WorkingPattern(kind=PatternKind.office)
"""Working days, 09:00 to 17:00 London time."""

ALL_HOURS = WorkingPattern(kind=PatternKind.all_hours)
"""Every hour of every day: hour timescales are clock hours."""
