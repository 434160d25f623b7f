"""`GET /performance`: the performance framework's measures for a period, as JSON or CSV (managers
and the oversight group). The measures are defined in docs/performance-framework.md and computed
by store/performance/; the period and team asked for are `ReportScope` (api/deps.py, shared with
the dashboard); this module owns the CSV layout."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import Overseeing, PoolDep, ReportScope
from api.errors import ErrorResponse
from domain.measures import PerformanceReport
from store.performance.report import report

router = APIRouter(
    tags=["performance"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)


@router.get(
    "/performance",
    response_model=PerformanceReport,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
async def get_performance(
    _user: Overseeing,
    pool: PoolDep,
    scope: ReportScope,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> PerformanceReport | Response:
    """Every measure of the performance framework for referrals received in the period (and, for
    overdue work and overdue MACE actions, everything open now; for linked children, the 90 days
    to now), each with its weekly series."""
    async with pool.acquire() as conn:
        result = await report(conn, scope)
    if format == "json":
        return result
    name = f"performance_{scope.period.start}_{scope.period.end}.csv"
    return Response(
        content=report_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


CSV_COLUMNS = ("measure", "breakdown", "week_start", "metric", "value")
_NOT_COUNTS = ("period", "weeks", "as_of", "since")  # of a measure counted as at now


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(f"{prefix}_{key}" if prefix else str(key), inner)
    else:
        yield prefix, value


def _rows(measure: str, breakdown: str, week: str, values: dict[str, Any]) -> Iterator[list[Any]]:
    for metric, value in _flatten("", values):
        yield [measure, breakdown, week, metric, "" if value is None else value]


def _csv_rows(data: dict[str, Any]) -> Iterator[list[Any]]:
    """One row per number: (measure, breakdown, week_start, metric, value). The whole period has
    an empty week_start; per-agency and overdue breakdowns name theirs (agency, stage:..., ...);
    what is counted as at now (overdue disruption actions, linked children) has none either."""
    for measure, section in data.items():
        if measure == "period":
            continue
        if "period" in section:
            yield from _rows(measure, "", "", section["period"])
        for agency in section.get("agencies", []):
            yield from _rows(measure, agency.pop("agency"), "", agency)
        if measure == "overdue":
            yield [measure, "", "", "total", section["total"]]
            for dimension in ("stage", "team", "escalation_level"):
                for key, count in section[f"by_{dimension}"].items():
                    yield [measure, f"{dimension}:{key}", "", "overdue", count]
            if section["oldest"] is not None:
                yield from _rows(measure, "oldest", "", section["oldest"])
        elif measure in ("mace_actions", "linked_children"):  # counted as at now, not by period
            now = {k: v for k, v in section.items() if k not in _NOT_COUNTS}
            yield from _rows(measure, "", "", now)
        for week in section.get("weeks", []):
            start = week.pop("week_start")
            yield from _rows(measure, week.pop("agency", ""), start, week)


def report_csv(result: PerformanceReport) -> str:
    """The report as CSV in long form: one number a row, ready for a spreadsheet's pivot table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(result.model_dump(mode="json", by_alias=True)))
    return out.getvalue()
