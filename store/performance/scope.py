"""What every measure shares: the scope of a report (`Scope`), the read-only snapshot the
measures read in (`reading`), the fixed query parameters, the SQL conditions that pick the rows
in scope, and adding weekly rows up over the period.

Every measure's query takes the same parameters in the same places:

- `$1` the first instant of the period, `$2` the first instant after it (`Period.lower`,
  `Period.upper`: London midnights, as instants);
- `$3` the team, NULL for every team;
- `$4` now, in the queries that judge timeliness (the others stop at `$3`);
- then a measure's own, after these (the one-working-day table of `decisions`).

The one exception is `overdue`, which the period does not bound: store/performance/overdue.py
says what its queries take. The SQL is written against those placeholders once and never
renumbered. Inside `reading` every query is planned with its values (a custom plan), so a NULL
team drops its condition and the period's bounds fold to constants on the covering indexes of
migration 0005.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.measures import Period, Rate
from store.pool import Conn

Counts = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """What a report covers: referrals received in `period`, of `team` if one is named, with
    timeliness judged as at `now`."""

    period: Period
    team: str | None
    now: datetime

    @property
    def args(self) -> tuple[Any, ...]:
        """`$1` to `$3`: the period's bounds and the team."""
        return (self.period.lower, self.period.upper, self.team)

    @property
    def args_at_now(self) -> tuple[Any, ...]:
        """`$1` to `$4`: the period's bounds, the team and now."""
        return (*self.args, self.now)


@asynccontextmanager
async def reading(conn: Conn) -> AsyncIterator[None]:
    """One read-only snapshot for a set of measures. Each query is planned for its own period
    (a generic plan would not know how many weeks it reads), with memory for the sorts."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(
            "SET LOCAL work_mem = '64MB'; SET LOCAL plan_cache_mode = force_custom_plan"
        )
        yield


def worked_by(alias: str, team: str = "$3") -> str:
    """Whether the team (placeholder `team`, `$3` in the period's queries) worked the case of row
    `alias`: the case is assigned to the team (`referral.team`) or the team owned one of its
    tasks (a front door team, the exploitation team, or an agency's duty team)."""
    return (
        f"(EXISTS (SELECT 1 FROM referral rt WHERE rt.referral_id = {alias}.referral_id"
        f" AND rt.team = {team})"
        f" OR EXISTS (SELECT 1 FROM task tt WHERE tt.referral_id = {alias}.referral_id"
        f" AND tt.team = {team}))"
    )


_LONDON_FROM = "($1::timestamptz AT TIME ZONE 'Europe/London')"
_LONDON_TO = "($2::timestamptz AT TIME ZONE 'Europe/London')"

WEEKS = (
    f"date_trunc('week', {_LONDON_FROM})::date"
    f" AND date_trunc('week', {_LONDON_TO} - interval '1 day')::date"
)
"""The Mondays of the weeks the period touches, as `BETWEEN` bounds (`Period.weeks`)."""

REFERRALS_IN_SCOPE = (
    f"r.received_week BETWEEN {WEEKS}"
    f" AND r.received_local >= {_LONDON_FROM} AND r.received_local < {_LONDON_TO}"
    f" AND ($3::text IS NULL OR {worked_by('r')})"
)
"""Referrals (alias `r`) received in the period, of the team if one is named: a range of the
covering index `referral_measures` (week, then London wall-clock time of receipt)."""

ROWS_IN_SCOPE = (
    "x.referral_received_at >= $1 AND x.referral_received_at < $2"
    f" AND ($3::text IS NULL OR {worked_by('x')})"
)
"""Tasks or agency checks (alias `x`) whose referral is in scope, by the copy of its time of
receipt each row carries (`referral_received_at`, indexed)."""


def timeliness(prefix: str, done: str, due: str, *, among: str = "true", owed: bool = False) -> str:
    """On time, late and pending counts of a referral step, as at now (`$4`; see the framework
    doc), over the rows where `among` holds: not done and past due while the case was open is
    late; not done in a case closed before it was due is not counted, unless the step is `owed`
    whether the case is open or not (the referrer's acknowledgement and feedback: not done and
    past due is late; not yet due is pending)."""
    until = "$4" if owed else "least($4, coalesce(r.closed_at, 'infinity'))"
    open_case = "true" if owed else "r.closed_at IS NULL"
    return f"""
        count(*) FILTER (WHERE ({among}) AND {done} <= {due}) AS {prefix}_on_time,
        count(*) FILTER (WHERE ({among}) AND ({done} > {due} OR ({done} IS NULL
            AND {due} < {until}))) AS {prefix}_late,
        count(*) FILTER (WHERE ({among}) AND {done} IS NULL AND {open_case}
            AND ({due} IS NULL OR {due} >= $4)) AS {prefix}_pending"""


def rate(counts: Counts | None, prefix: str) -> Rate:
    """The `timeliness` counts named `prefix` as a Rate (all zero when nothing was counted)."""
    if not counts:
        return Rate()
    return Rate(**{k: counts[f"{prefix}_{k}"] for k in ("on_time", "late", "pending")})


def hours(minutes: float | None) -> float | None:
    return round(minutes / 60, 2) if minutes is not None else None


def add_up(rows: list[Any]) -> tuple[Counts, dict[date, Counts]]:
    """Rows grouped by `week`: the sum of each count over the weeks, and each week's counts."""
    by_week = {row["week"]: {k: v for k, v in row.items() if k != "week"} for row in rows}
    totals: Counts = {}
    for counts in by_week.values():
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals, by_week


async def by_week(conn: Conn, sql: str, *args: Any) -> tuple[Counts, dict[date, Counts]]:
    """Run a query grouped by `week` and add its rows up over the period."""
    return add_up(await conn.fetch(sql, *args))
