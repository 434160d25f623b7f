"""The retention schedule: how long the record of a closed case is kept, and when it becomes due
for disposal.

A case is kept until the later of two dates: its child's 18th birthday plus
`years_after_adulthood`, and the day it closed plus `years_after_closure` (a council's typical
children-in-need schedule is three years each). A case whose child's birthday is not known is kept
by the closure rule alone; an open case is never due. Dates are London calendar days. Legal holds
(store/legal_hold.py) stop disposal whatever this says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from domain.calendar import LONDON


class RetentionBasis(StrEnum):
    """Which date a case's retention ran from."""

    adulthood = "adulthood"
    closure = "closure"


@dataclass(frozen=True)
class RetentionSchedule:
    """Whole years a record is kept after the child comes of age and after the case closed."""

    years_after_adulthood: int = 3
    years_after_closure: int = 3


@dataclass(frozen=True)
class Retention:
    """When one case's record becomes due for disposal, and by which rule."""

    basis: RetentionBasis
    years: int
    due_on: date

    @property
    def rule(self) -> str:
        """The rule as the audit trail names it: `adulthood+3y` or `closure+3y`."""
        return f"{self.basis.value}+{self.years}y"

    def is_due(self, today: date) -> bool:
        return today >= self.due_on


def years_after(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 1 March in a common year, as for
    `domain.record.adult_on`)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def london_day(at: datetime) -> date:
    """The London calendar day of an instant (when a case closed, today)."""
    return at.astimezone(LONDON).date()


def retention(
    schedule: RetentionSchedule, *, adult_on: date | None, closed_at: datetime | None
) -> Retention | None:
    """When the case's record becomes due, or None while the case is open. The later rule wins;
    on the same day, adulthood (the rule children's records are known by)."""
    if closed_at is None:
        return None
    by_closure = Retention(
        RetentionBasis.closure,
        schedule.years_after_closure,
        years_after(london_day(closed_at), schedule.years_after_closure),
    )
    if adult_on is None:
        return by_closure
    by_adulthood = Retention(
        RetentionBasis.adulthood,
        schedule.years_after_adulthood,
        years_after(adult_on, schedule.years_after_adulthood),
    )
    return by_adulthood if by_adulthood.due_on >= by_closure.due_on else by_closure


def latest_start(today: date, years: int) -> date:
    """A day on or after every day `d` with `years_after(d, years) <= today`: what a query may
    narrow candidates by before `retention` decides (never excluding a case that is due)."""
    return years_after(today, -years)
