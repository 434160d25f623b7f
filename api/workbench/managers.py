"""Workbench pages: the managers' view of the team's work (`/work/manage`), and, included from
here, the case audits (api/workbench/audits_pages.py).

Everything on the page is read from the API as the signed-in manager: open cases by stage and
RAG (`GET /referrals`), overdue and escalated tasks (`GET /tasks?overdue=true`), the headline
figures (`GET /performance`) and the improvement plan (`GET /improvement-plan`). The API says
who may see them: anyone else is shown its 403.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.auth import User
from api.workbench import audits_pages
from api.workbench.calls import Api, RefusedError
from api.workbench.managers_text import day, label, month_before, when
from api.workbench.render import page, refused
from api.workbench.session import page_user
from domain.calendar import LONDON
from domain.case import Stage
from domain.steps import Rag

router = APIRouter(include_in_schema=False)
router.include_router(audits_pages.router)

PageUser = Annotated[User, Depends(page_user)]

OPEN_STAGES = [s for s in Stage if s is not Stage.closed]
RAGS = list(Rag)
_CASE_FILTERS = ("stage", "rag", "overdue", "escalation_level_gte")
_LIST_LIMIT = 50
_TASK_LIMIT = 200  # the inbox's largest page: the longest overdue first


@dataclass(frozen=True)
class StageCounts:
    """One row of the open cases table: a stage's cases, in all and per RAG."""

    stage: Stage
    total: int
    by_rag: dict[str, int]

    @property
    def unrated(self) -> int:
        return self.total - sum(self.by_rag.values())


async def _total(api: Api, **filters: Any) -> int:
    answer = await api.get("/referrals", limit=1, **filters)
    return int(answer["total"])


async def _stage_counts(api: Api) -> list[StageCounts]:
    """Open cases per stage and RAG, each count the list's own total for that filter."""
    asks = [(stage, rag) for stage in OPEN_STAGES for rag in [None, *RAGS]]
    totals = await asyncio.gather(
        *(_total(api, stage=stage.value, rag=rag.value if rag else None) for stage, rag in asks)
    )
    counts: dict[Stage, dict[str | None, int]] = {}
    for (stage, rag), total in zip(asks, totals, strict=True):
        counts.setdefault(stage, {})[rag.value if rag else None] = total
    return [
        StageCounts(stage, counts[stage][None], {r.value: counts[stage][r.value] for r in RAGS})
        for stage in OPEN_STAGES
    ]


def _case_filters(request: Request) -> dict[str, str]:
    """The case list's filters as asked for in the address (codes only)."""
    query = request.query_params
    return {name: query[name] for name in _CASE_FILTERS if query.get(name)}


async def _cases(api: Api, filters: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """The cases to list, next due first. Without a stage, the open ones only: closed cases
    have nothing due and come last in the API's order, so they are left off the page."""
    answer = await api.get("/referrals", limit=_LIST_LIMIT, **filters)
    items: list[dict[str, Any]] = answer["items"]
    if "stage" not in filters:
        items = [row for row in items if row["stage"] != Stage.closed.value]
    return items, int(answer["total"])


def _board_months(today: date) -> list[str]:
    """The board packs to offer: last month's (the one the board reads) and this month's."""
    return [month_before(today), f"{today:%Y-%m}"]


def _headline(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The few figures a manager looks at first: (id, what, figure)."""

    def pct(value: float | None) -> str:
        return "No data" if value is None else f"{value:g}%"

    decisions = report["decisions"]["period"]
    hours = report["time_to_decision"]["period"]["median_hours"]
    one_day = decisions["within_one_working_day"]["percent"]
    in_rag = decisions["within_rag_timescale"]["percent"]
    seen = report["visits"]["period"]["child_seen"]["percent"]
    told = report["referrers"]["period"]["told"]["percent"]
    return [
        ("contacts", "Contacts received", str(decisions["contacts"])),
        ("referrals", "Became referrals", str(decisions["referrals"])),
        ("one-day", "Decided within one working day", pct(one_day)),
        ("rag", "Decided within the RAG timescale", pct(in_rag)),
        ("seen", "Children seen within timescale", pct(seen)),
        ("told", "Referrers told the outcome in time", pct(told)),
        ("median", "Median hours to decision", "No data" if hours is None else f"{hours:g}"),
        ("overdue", "Work overdue now", str(report["overdue"]["total"])),
    ]


_BOARD_PACK_HEADERS = {
    # The pack as the API renders it: printable, no script, nothing loaded from anywhere.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/work/board-pack/{month}", response_class=HTMLResponse)
async def board_pack(request: Request, user: PageUser, month: str) -> HTMLResponse:
    """The month's board pack (`GET /board-pack/{yyyy-mm}`, which takes a bearer token only)
    for a signed-in browser: the API's own page, as it renders it."""
    pack = await Api(request, user).get(f"/board-pack/{quote(month, safe='')}")
    return HTMLResponse(str(pack), headers=_BOARD_PACK_HEADERS)


@router.get("/work/manage", response_class=HTMLResponse)
async def manage(request: Request, user: PageUser) -> HTMLResponse:
    """The team's work at a glance: overdue and escalated tasks, open cases by stage and RAG,
    the headline figures and the improvement plan."""
    api = Api(request, user)
    filters = _case_filters(request)
    try:
        # The managers' list first: the API refuses it to anyone but a manager.
        cases, total = await _cases(api, filters)
    except RefusedError as err:
        if err.status == 422:
            filters, (cases, total) = {}, await _cases(api, {})
        elif err.status == 403:
            err.message = "The managers' page is for front door managers only."
            return refused(request, user, err)
        else:
            raise
    counts, overdue, report, plan = await asyncio.gather(
        _stage_counts(api),
        api.get("/tasks", overdue="true", limit=_TASK_LIMIT),
        api.get("/performance"),
        api.get("/improvement-plan"),
    )
    tasks: list[dict[str, Any]] = overdue["items"]
    escalated = sorted(
        (t for t in tasks if t["escalation_level"] > 0),
        key=lambda t: (-t["escalation_level"], t["due_at"]),
    )
    today = datetime.now(UTC).astimezone(LONDON).date()
    return page(
        request,
        user,
        "manage.html",
        title="Your team's work",
        values=filters,
        counts=counts,
        cases=cases,
        cases_total=total,
        filtered=bool(filters),
        stages=[(s.value, label(s.value)) for s in Stage],
        rags=[(r.value, r.value.upper()) for r in RAGS],
        overdue_tasks=tasks,
        more_overdue=len(tasks) == _TASK_LIMIT,
        escalated=escalated,
        headline=_headline(report),
        period=report["period"],
        plan=plan,
        board_months=_board_months(today),
        label=label,
        when=when,
        day=day,
    )
