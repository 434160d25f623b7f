"""The performance framework's definitions: the reporting period and its weeks, the one-working-day
rule as a table SQL can join, and the shape of every measure.

Pure and deterministic (no I/O). `store/performance.py` computes the numbers from the read model,
`api/routes/performance.py` serves them; `docs/performance-framework.md` defines each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, Field, computed_field

from domain.calendar import DEFAULT_CALENDAR, LONDON, WorkingCalendar
from domain.policy import DecisionOutcome

MAX_PERIOD_DAYS = 5 * 366
"""The longest period a report may cover (about five years)."""

DEFAULT_PERIOD_WEEKS = 12
"""Without `from`, a report covers this many whole weeks before the current one, and that one."""


def monday_of(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


def london_midnight(day: date) -> datetime:
    """00:00 Europe/London on `day`, in UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Referrals received from 00:00 London time on `start` up to, not including, 00:00 London
    time on the day after `end`."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    @property
    def lower(self) -> datetime:
        """The first instant in the period (UTC)."""
        return london_midnight(self.start)

    @property
    def upper(self) -> datetime:
        """The first instant after the period (UTC)."""
        return london_midnight(self.end + timedelta(days=1))

    @property
    def lower_local(self) -> datetime:
        """The first instant in the period as London wall-clock time (naive)."""
        return datetime.combine(self.start, time(0, 0))

    @property
    def upper_local(self) -> datetime:
        """The first instant after the period as London wall-clock time (naive)."""
        return datetime.combine(self.end + timedelta(days=1), time(0, 0))

    @property
    def weeks(self) -> list[date]:
        """The Mondays of the weeks the period touches; the first and last may be partial."""
        first, last = monday_of(self.start), monday_of(self.end)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]

    @classmethod
    def default(cls, today: date) -> Period:
        """The current week so far and the `DEFAULT_PERIOD_WEEKS` whole weeks before it."""
        return cls(monday_of(today) - timedelta(weeks=DEFAULT_PERIOD_WEEKS), today)


@dataclass(frozen=True)
class OneWorkingDayTable:
    """When a referral received on each calendar day from `start` is due under the one-working-day
    rule, in a form SQL can apply per row without converting time zones: for a working day, the
    interval to add to the instant of receipt (`shift`); for any other day, the instant itself
    (`fixed`). Passed to SQL as arrays indexed by the day's number from `start` (1-based), with
    no NULLs (an element after a NULL costs a walk of the array's null bitmap to find).

    The rule is `WorkingCalendar.add_working_days(received_at, 1)`: a referral received on a
    working day is due at the same London wall-clock time on the next working day; one received on
    a weekend or bank holiday counts from 09:00 on the next working day, so it is due at 09:00 on
    the working day after that. A working day's shift is one interval for the whole day because
    the clocks change only on Sundays.
    """

    start: date
    working: list[bool]
    shift: list[timedelta]
    fixed: list[datetime]


def one_working_day_table(
    start: date, end: date, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> OneWorkingDayTable:
    """The table for every day from `start` to `end` inclusive."""
    table = OneWorkingDayTable(start, [], [], [])
    day = start
    while day <= end:
        noon = datetime.combine(day, time(12, 0), tzinfo=LONDON)
        due = calendar.add_working_days(noon, 1)
        working = calendar.is_working_day(day)
        table.working.append(working)
        table.shift.append(due - noon if working else timedelta(0))
        table.fixed.append(noon if working else due)  # `noon` only fills the slot
        day += timedelta(days=1)
    return table


def percentile_cont(histogram: list[tuple[int, int]], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over the values a histogram of (value, count) pairs stands
    for, in ascending order of value: the value at position 1 + fraction * (n - 1) of the sorted
    values, interpolated between the two values either side of it. None if it is empty."""
    total = sum(count for _, count in histogram)
    if total == 0:
        return None
    position = fraction * (total - 1)  # 0-based
    below, above = int(position), min(int(position) + 1, total - 1)
    found: dict[int, int] = {}
    seen = 0
    for value, count in histogram:
        for rank in (below, above):
            if rank not in found and rank < seen + count:
                found[rank] = value
        seen += count
        if above in found:
            break
    return found[below] + (position - below) * (found[above] - found[below])


def percent(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`, to one decimal place; None when nothing was counted."""
    return round(100.0 * part / whole, 1) if whole else None


# ---- the shape of each measure (the JSON of GET /performance) ----------------------------------


class Rate(BaseModel):
    """A timeliness rate: steps done in time, steps late (done late, or not done and past their
    due time) and steps still inside their timescale (not counted yet)."""

    on_time: int = 0
    late: int = 0
    pending: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> float | None:
        """On time as a share of on time and late."""
        return percent(self.on_time, self.on_time + self.late)


class DecisionStats(BaseModel):
    referrals: int = 0
    decided: int = 0
    within_policy: Rate = Field(default_factory=Rate)
    within_one_working_day: Rate = Field(default_factory=Rate)


class DecisionWeek(DecisionStats):
    week_start: date


class Decisions(BaseModel):
    """Decisions within the policy timescale and within one working day of referral."""

    period: DecisionStats
    weeks: list[DecisionWeek]


class TimeToDecisionStats(BaseModel):
    decided: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None


class TimeToDecisionWeek(TimeToDecisionStats):
    week_start: date


class TimeToDecision(BaseModel):
    """The distribution of time from receipt to decision: median and 90th percentile."""

    period: TimeToDecisionStats
    weeks: list[TimeToDecisionWeek]


class AgencyStats(BaseModel):
    agency: str
    requested: int = 0
    returned_on_time: Rate = Field(default_factory=Rate)


class AgencyWeek(AgencyStats):
    week_start: date


class AgencyChecks(BaseModel):
    """Agency checks returned within their RAG timescale, per agency."""

    agencies: list[AgencyStats]
    weeks: list[AgencyWeek]


class AgencyReturn(BaseModel):
    agency: str
    returned: int = 0
    median_hours_to_return: float | None = None


class AgencyReturnTimes(BaseModel):
    """Per agency: the median time from a check being asked for to its answer, over the period."""

    agencies: list[AgencyReturn]


class VisitStats(BaseModel):
    visits_due: int = 0
    child_seen: Rate = Field(default_factory=Rate)
    visits_not_seen: int = 0
    referrals_with_child_not_seen: int = 0


class VisitWeek(VisitStats):
    week_start: date


class Visits(BaseModel):
    """Children seen within the visit timescale, and visits where the child was not seen."""

    period: VisitStats
    weeks: list[VisitWeek]


class OverdueTask(BaseModel):
    """One piece of open work past its due time: ids and codes only."""

    task_id: str
    referral_id: str
    kind: str
    team: str
    stage: str
    escalation_level: int
    due_at: datetime
    overdue_hours: float


class OverdueWeek(BaseModel):
    week_start: date
    overdue: int = 0


class Overdue(BaseModel):
    """Open work past its due time at `as_of`, whenever its referral arrived."""

    as_of: datetime
    total: int = 0
    by_stage: dict[str, int] = Field(default_factory=dict)
    by_team: dict[str, int] = Field(default_factory=dict)
    by_escalation_level: dict[str, int] = Field(default_factory=dict)
    oldest: OverdueTask | None = None
    items: list[OverdueTask] = Field(default_factory=list)
    weeks: list[OverdueWeek] = Field(default_factory=list)


class ReReferralStats(BaseModel):
    referrals: int = 0
    re_referrals: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> float | None:
        return percent(self.re_referrals, self.referrals)


class ReReferralWeek(ReReferralStats):
    week_start: date


class ReReferrals(BaseModel):
    """Referrals of a child referred in the 12 months before."""

    period: ReReferralStats
    weeks: list[ReReferralWeek]


class ConversionStats(BaseModel):
    referrals: int = 0
    decided: int = 0
    outcomes: dict[DecisionOutcome, int] = Field(
        default_factory=lambda: dict.fromkeys(DecisionOutcome, 0)
    )
    section_47: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent_of_referrals(self) -> dict[str, float | None]:
        shares: dict[str, float | None] = {
            outcome.value: percent(n, self.referrals) for outcome, n in self.outcomes.items()
        }
        shares["section_47"] = percent(self.section_47, self.referrals)
        return shares


class ConversionWeek(ConversionStats):
    week_start: date


class Conversion(BaseModel):
    """What referrals became: decision outcomes, and section 47 enquiries."""

    period: ConversionStats
    weeks: list[ConversionWeek]


class ReferrerToldStats(BaseModel):
    referrer_told: Rate = Field(default_factory=Rate)


class ReferrerToldWeek(ReferrerToldStats):
    week_start: date


class ReferrerTold(BaseModel):
    """Referrers told the outcome within the timescale."""

    period: ReferrerToldStats
    weeks: list[ReferrerToldWeek]


class ReportPeriod(BaseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    team: str | None
    weeks: list[date]
    generated_at: datetime


class PerformanceReport(BaseModel):
    """Every measure of the framework for one period (and optionally one team)."""

    period: ReportPeriod
    decisions: Decisions
    time_to_decision: TimeToDecision
    agency_checks: AgencyChecks
    agency_return_times: AgencyReturnTimes
    visits: Visits
    overdue: Overdue
    re_referrals: ReReferrals
    conversion: Conversion
    referrer_told: ReferrerTold
