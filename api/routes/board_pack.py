"""What the executive oversight group reads (managers too): the audit measures
(`GET /performance/audits`), each target against its figure and trend (`GET /performance/targets`)
and the monthly board pack (`GET /board-pack/{yyyy-mm}`), a printable page with no script whose
figures are `GET /performance`'s for the same month. Aggregates only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from api.deps import Overseeing, PoolDep, ReportScope
from api.errors import ErrorResponse
from api.models.audits import MONTH_PATTERN
from api.oversight import Targets, board_pack, target_statuses
from api.pages import templates
from domain.quality import AuditResults
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
