"""The performance framework's definitions: the reporting period and its weeks, the one-working-day
rule as a table SQL can join, and the shape of every measure.

Pure and deterministic (no I/O). `store/performance/` computes the numbers from the read model,
`api/routes/performance.py` serves them; `docs/performance-framework.md` defines each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, Field, computed_field

from domain.calendar import DEFAULT_CALENDAR, LONDON, WorkingCalendar
from domain.measures_exploitation import (
    ExploitationScreenings,
    LinkedChildren,
    MaceActions,
    NrmReferrals,
    TimeToMace,
)
from domain.policy import DecisionOutcome
from domain.rates import DurationStats as DurationStats
from domain.rates import Rate as Rate
from domain.rates import percent as percent

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
    """When a referral made (`referral_at`) on each calendar day from `start` is due under the
    one-working-day rule, in a form SQL can apply per row without converting time zones: for a
    working day, the interval to add to the instant of referral (`shift`); for any other day, the
    instant itself (`fixed`). Passed to SQL as arrays indexed by the day's number from `start`
    (1-based), with no NULLs (an element after one costs a walk of the array's null bitmap).

    The rule is `WorkingCalendar.add_working_days(referral_at, 1)`: a referral made on a working
    day is due at the same London wall-clock time on the next working day; one made on a weekend
    or bank holiday counts from 09:00 on the next working day, so it is due at 09:00 on the
    working day after that. A working day's shift is one interval for the whole day because the
    clocks change only on Sundays.
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


# ---- the shape of each measure (the JSON of GET /performance) ----------------------------------


class DecisionStats(BaseModel):
    contacts: int = 0
    mash_decided: int = 0
    referrals: int = 0
    referral_decided: int = 0
    within_rag_timescale: Rate = Field(default_factory=Rate)
    within_one_working_day: Rate = Field(default_factory=Rate)


class DecisionWeek(DecisionStats):
    week_start: date


class Decisions(BaseModel):
    """Contacts' MASH decisions within their RAG timescale, and referrals' decisions on the
    response within one working day of the referral."""

    period: DecisionStats
    weeks: list[DecisionWeek]


class DurationWeek(DurationStats):
    week_start: date


class Durations(BaseModel):
    """A distribution of durations in whole minutes (reported in hours): median and 90th
    percentile, for the period and per week."""

    period: DurationStats
    weeks: list[DurationWeek]


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
    """Referrals of a child whose previous referral closed in the 12 months before."""

    period: ReReferralStats
    weeks: list[ReReferralWeek]


RESPONSES = ("step_down", "assessment", "section_47", "strategy_nfa", "strategy_pending", "pending")
"""What referrals became, exclusive (adding up to the referrals): closed by the response, a
section 17 assessment, section 47 enquiries, a strategy discussion finding neither, one not yet
held, a response not yet decided."""


class ConversionStats(BaseModel):
    contacts: int = 0
    decided: int = 0
    outcomes: dict[DecisionOutcome, int] = Field(
        default_factory=lambda: dict.fromkeys(DecisionOutcome, 0)
    )
    referrals: int = 0
    responses: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(RESPONSES, 0))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def contacts_to_referrals_percent(self) -> float | None:
        return percent(self.referrals, self.contacts)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent_of_contacts(self) -> dict[str, float | None]:
        return {outcome.value: percent(n, self.contacts) for outcome, n in self.outcomes.items()}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent_of_referrals(self) -> dict[str, float | None]:
        return {name: percent(n, self.referrals) for name, n in self.responses.items()}


class ConversionWeek(ConversionStats):
    week_start: date


class Conversion(BaseModel):
    """What contacts became (final outcomes, and referrals), and what referrals became."""

    period: ConversionStats
    weeks: list[ConversionWeek]


class ReferrerStats(BaseModel):
    acknowledged: Rate = Field(default_factory=Rate)
    told: Rate = Field(default_factory=Rate)


class ReferrerWeek(ReferrerStats):
    week_start: date


class Referrers(BaseModel):
    """Referrers acknowledged, and told the outcome, within the timescale: by what staff
    recorded doing, over the cases whose referrer is owed it."""

    period: ReferrerStats
    weeks: list[ReferrerWeek]


class AfterHandoverStats(BaseModel):
    assessments: Rate = Field(default_factory=Rate)
    conferences: Rate = Field(default_factory=Rate)
    enquiries: int = 0
    no_conference_needed: int = 0


class AfterHandoverWeek(AfterHandoverStats):
    week_start: date


class AfterHandover(BaseModel):
    """Assessments completed within 45 working days of referral; initial child protection
    conferences within 15 working days of the strategy discussion."""

    period: AfterHandoverStats
    weeks: list[AfterHandoverWeek]


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
    time_to_decision: Durations
    recording_gap: Durations
    agency_checks: AgencyChecks
    agency_return_times: AgencyReturnTimes
    visits: Visits
    after_handover: AfterHandover
    overdue: Overdue
    re_referrals: ReReferrals
    conversion: Conversion
    referrers: Referrers
    exploitation_screening: ExploitationScreenings
    time_to_mace: TimeToMace
    mace_actions: MaceActions
    nrm_referrals: NrmReferrals
    linked_children: LinkedChildren
