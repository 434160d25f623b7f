"""The retention schedule: the later of adulthood plus three years and closure plus three years;
closure alone without a birthday; never while open."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.retention import (
    RetentionBasis,
    RetentionSchedule,
    latest_start,
    retention,
    years_after,
)

SCHEDULE = RetentionSchedule()


def closed(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_the_default_schedule_is_three_years_after_each() -> None:
    assert RetentionSchedule(years_after_adulthood=3, years_after_closure=3) == SCHEDULE


def test_a_young_child_is_kept_until_three_years_after_adulthood() -> None:
    kept = retention(SCHEDULE, adult_on=date(2030, 6, 1), closed_at=closed(2020, 1, 10))
    assert kept is not None
    assert (kept.basis, kept.due_on, kept.rule) == (
        RetentionBasis.adulthood,
        date(2033, 6, 1),
        "adulthood+3y",
    )
    assert not kept.is_due(date(2033, 5, 31))
    assert kept.is_due(date(2033, 6, 1))


def test_a_case_closed_near_adulthood_is_kept_three_years_after_closure() -> None:
    kept = retention(SCHEDULE, adult_on=date(2020, 6, 1), closed_at=closed(2022, 3, 4))
    assert kept is not None
    assert (kept.basis, kept.due_on, kept.rule) == (
        RetentionBasis.closure,
        date(2025, 3, 4),
        "closure+3y",
    )


def test_on_the_same_day_adulthood_names_the_rule() -> None:
    kept = retention(SCHEDULE, adult_on=date(2021, 3, 4), closed_at=closed(2021, 3, 4))
    assert kept is not None and kept.rule == "adulthood+3y" and kept.due_on == date(2024, 3, 4)


def test_without_a_birthday_closure_alone_decides() -> None:
    kept = retention(SCHEDULE, adult_on=None, closed_at=closed(2022, 3, 4))
    assert kept is not None
    assert (kept.rule, kept.due_on) == ("closure+3y", date(2025, 3, 4))


def test_an_open_case_is_never_due() -> None:
    assert retention(SCHEDULE, adult_on=date(2000, 1, 1), closed_at=None) is None


def test_the_years_come_from_the_schedule() -> None:
    schedule = RetentionSchedule(years_after_adulthood=25, years_after_closure=10)
    kept = retention(schedule, adult_on=date(2020, 1, 1), closed_at=closed(2019, 1, 1))
    assert kept is not None and (kept.rule, kept.due_on) == ("adulthood+25y", date(2045, 1, 1))


def test_the_closure_day_is_the_london_day() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
    kept = retention(
        SCHEDULE, adult_on=None, closed_at=closed(2022, 6, 30, hour=23) + timedelta(minutes=30)
    )
    assert kept is not None and kept.due_on == date(2025, 7, 1)


def test_29_february_moves_to_1_march_in_a_common_year() -> None:
    assert years_after(date(2024, 2, 29), 3) == date(2027, 3, 1)
    assert years_after(date(2024, 2, 29), 4) == date(2028, 2, 29)


@pytest.mark.parametrize("years", [0, 1, 3, 4])
@pytest.mark.parametrize(
    "today", [date(2027, 2, 28), date(2027, 3, 1), date(2028, 2, 29), date(2028, 3, 1)]
)
def test_the_query_bound_never_excludes_a_day_that_is_due(today: date, years: int) -> None:
    bound = latest_start(today, years)
    start = date(today.year - years - 1, 1, 1)
    for offset in range(800):
        day = start + timedelta(days=offset)
        if years_after(day, years) <= today:
            assert day <= bound, (day, bound)
