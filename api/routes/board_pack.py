"""What the executive oversight group reads (managers too): the audit measures
(`GET /performance/audits`), each target against its figure and trend (`GET /performance/targets`),
the improvement plan (`/improvement-plan`: managers keep it) and the monthly board pack
(`GET /board-pack/{yyyy-mm}`), a printable page with no script whose figures are
`GET /performance`'s for the same month. Aggregates only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from api.deps import Manager, Overseeing, PoolDep, ReportScope
from api.errors import ApiError, ErrorResponse
from api.models.audits import MONTH_PATTERN
from api.oversight import (
    NewPlanAction,
    Plan,
    PlanChange,
    PlanItem,
    Targets,
    board_pack,
    plan_item,
    read_plan,
    target_statuses,
)
from api.pages import templates
from domain.calendar import LONDON
from domain.quality import AuditResults
from store import improvement_action
from store.performance.audits import audits
from store.performance.report import report
from store.performance.scope import reading

router = APIRouter(
    tags=["oversight"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)

_HEADERS = {
    # Printable and self-contained: no script, nothing loaded from anywhere.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@router.get("/performance/audits", response_model=AuditResults)
async def audit_results(_user: Overseeing, pool: PoolDep, scope: ReportScope) -> AuditResults:
    """Audit grades by month, question and team (audits submitted in the period), moderation,
    and learning actions open and overdue now."""
    async with pool.acquire() as conn, reading(conn):
        return await audits(conn, scope)


@router.get("/performance/targets", response_model=Targets)
async def targets(_user: Overseeing, pool: PoolDep, scope: ReportScope) -> Targets:
    """Each target with the period's figure, its weekly trend and red/amber/green status."""
    async with pool.acquire() as conn:
        return target_statuses(await report(conn, scope))


@router.get("/board-pack/{month}", response_class=HTMLResponse)
async def board_pack_page(
    month: Annotated[str, Path(pattern=MONTH_PATTERN, description="yyyy-mm")],
    user: Overseeing,
    pool: PoolDep,
) -> HTMLResponse:
    """The month's board pack: the measures against target and trend, the audit findings and
    learning actions; each figure links to its definition."""
    async with pool.acquire() as conn:
        pack = await board_pack(conn, month)
    page = templates().get_template("board_pack.html").render(pack=pack, user_id=user.user_id)
    return HTMLResponse(page, headers=_HEADERS)


@router.get("/improvement-plan", response_model=Plan)
async def get_plan(_user: Overseeing, pool: PoolDep) -> Plan:
    """The improvement plan's actions by due date, overdue ones flagged."""
    async with pool.acquire() as conn:
        return await read_plan(conn, datetime.now(UTC))


async def _item(pool: PoolDep, action_id: UUID) -> PlanItem:
    async with pool.acquire() as conn:
        action = await improvement_action.get_plan_action(conn, action_id)
    if action is None:
        raise ApiError(404, "not_found", f"improvement plan action {action_id} was not found")
    return plan_item(action, datetime.now(UTC).astimezone(LONDON).date())


@router.post("/improvement-plan", status_code=201, response_model=PlanItem)
async def add_plan_action(body: NewPlanAction, user: Manager, pool: PoolDep) -> PlanItem:
    """Add an action to the plan, with its owner and due date."""
    action_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await improvement_action.insert_plan_action(
            conn, action_id=action_id, action=body.action, owner=body.owner,
            due_on=body.due_on, by=user.user_id,
        )  # fmt: skip
    return await _item(pool, action_id)


@router.patch("/improvement-plan/{action_id}", response_model=PlanItem)
async def change_plan_action(
    action_id: Annotated[UUID, Path(description="the plan action's id")],
    body: PlanChange,
    user: Manager,
    pool: PoolDep,
) -> PlanItem:
    """Move an action on (status, with the evidence that shows it), or its owner or date."""
    async with pool.acquire() as conn:
        found = await improvement_action.update_plan_action(
            conn, action_id, status=body.status, evidence=body.evidence, owner=body.owner,
            due_on=body.due_on, by=user.user_id,
        )  # fmt: skip
    if not found:
        raise ApiError(404, "not_found", f"improvement plan action {action_id} was not found")
    return await _item(pool, action_id)
