"""What the executive oversight group sees, assembled from the performance report and the audit
measures: each target's figure, trend and red/amber/green status, the improvement plan, and the
monthly board pack. Aggregates only: codes, counts and percentages, never a child's details."""

from __future__ import annotations

import calendar
import dataclasses
from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from domain.calendar import LONDON
from domain.inputs import InputModel
from domain.measures import PerformanceReport, Period
from domain.quality import AuditResults, PlanStatus
from domain.targets import TARGETS, TARGETS_VERSION, Rag, figure, rag, trend
from store import improvement_action
from store.improvement_action import PlanAction
from store.performance.audits import audits
from store.performance.report import report
from store.performance.scope import Scope, reading
from store.pool import Conn


class WeekFigure(BaseModel):
    week_start: date
    value: float | None


class TargetStatus(BaseModel):
    """One target: the period's figure, its weekly series and trend, and its status."""

    key: str
    label: str
    measure: str
    target: float
    higher_is_better: bool
    value: float | None
    weeks: list[WeekFigure]
    trend: float | None
    rag: Rag
    definition: str


class Targets(BaseModel):
    version: str
    targets: list[TargetStatus]


class PlanItem(BaseModel):
    """An improvement plan action; `overdue` when not done by its due date (London)."""

    action_id: UUID
    action: str
    owner: str
    due_on: date
    status: PlanStatus
    evidence: str | None
    overdue: bool
    updated_by: str
    updated_at: datetime


class Plan(BaseModel):
    actions: list[PlanItem]
    done: int
    overdue: int


class NewPlanAction(InputModel):
    action: Annotated[str, Field(min_length=1, max_length=2_000)]
    owner: Annotated[str, Field(min_length=1, max_length=200)]
    due_on: date


class PlanChange(InputModel):
    status: PlanStatus | None = None
    evidence: Annotated[str, Field(min_length=1, max_length=4_000)] | None = None
    owner: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    due_on: date | None = None


def plan_item(action: PlanAction, today: date) -> PlanItem:
    overdue = action.status is not PlanStatus.done and action.due_on < today
    return PlanItem(**{**dataclasses.asdict(action), "overdue": overdue})


async def read_plan(conn: Conn, now: datetime) -> Plan:
    today = now.astimezone(LONDON).date()
    items = [plan_item(a, today) for a in await improvement_action.plan(conn)]
    return Plan(
        actions=items,
        done=sum(i.status is PlanStatus.done for i in items),
        overdue=sum(i.overdue for i in items),
    )


class BoardPack(BaseModel):
    month: str
    first_day: date
    last_day: date
    generated_at: datetime
    targets: Targets
    report: PerformanceReport
    audits: AuditResults
    plan: Plan


def target_statuses(result: PerformanceReport) -> Targets:
    """Every target against the report's figures (the same numbers as `GET /performance`)."""
    data = result.model_dump(mode="json")
    statuses = []
    for target in TARGETS:
        section = data[target.measure]
        weeks = [
            WeekFigure(week_start=w["week_start"], value=figure(w, target.path))
            for w in section["weeks"]
        ]
        value = figure(section["period"], target.path)
        weekly = [w.value for w in weeks]
        statuses.append(
            TargetStatus(
                key=target.key,
                label=target.label,
                measure=target.measure,
                target=target.target,
                higher_is_better=target.higher_is_better,
                value=value,
                weeks=weeks,
                trend=trend(weekly),
                rag=rag(target, value, weekly),
                definition=target.definition,
            )
        )
    return Targets(version=TARGETS_VERSION, targets=statuses)


def month_period(month: str) -> Period:
    """The London calendar month `yyyy-mm`, as a report's period."""
    year, number = (int(part) for part in month.split("-"))
    return Period(date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1]))


async def board_pack(conn: Conn, month: str) -> BoardPack:
    """The month's pack: the measures, their targets, the audit findings, the plan."""
    scope = Scope(period=month_period(month), team=None, now=datetime.now(UTC))
    result = await report(conn, scope)
    async with reading(conn):
        audit_results = await audits(conn, scope)
    return BoardPack(
        month=month, first_day=scope.period.start, last_day=scope.period.end,
        generated_at=scope.now,
        targets=target_statuses(result), report=result, audits=audit_results,
        plan=await read_plan(conn, scope.now),
    )  # fmt: skip
