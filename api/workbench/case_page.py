"""Workbench pages: a case (`/work/cases/{referral_id}`) and its form for new information.

The page reads the case as the signed-in member of staff sees it through the API: the case view
(`GET /referrals/{id}`: stage, RAG, deadlines, milestones, tasks with who holds them,
escalations, the intake, new information, siblings and linked children), its chronology
(`GET /referrals/{id}/chronology`) and its links (`GET /referrals/{id}/links`). Only the
council's own staff may read a whole case; anyone else gets the API's refusal as the problem
page. New information goes to `POST /referrals/{id}/information` with the form's own
Idempotency-Key; a refusal is shown on the form with what was typed kept.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import User
from api.models.referrals import NewInformation
from api.workbench.calls import Api, RefusedError
from api.workbench.case_text import TEXT, instant, is_past, time_left
from api.workbench.case_view import chronology_lines, deadline_rows, task_rows
from api.workbench.forms import FieldError, Form, body_of, first, read_form
from api.workbench.render import form_errors, new_key, page, see_other
from api.workbench.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)

PageUser = Annotated[User, Depends(page_user)]

_FIELDS = {"text", "source"}


def _referral_id(raw: str) -> str:
    try:
        return str(UUID(raw))
    except ValueError:
        raise RefusedError(404, "not_found", "Page not found", []) from None


async def _read(api: Api, rid: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The case, its chronology and its links (the case first: its refusal is the page's)."""
    case = await api.get(f"/referrals/{rid}")
    chronology, links = await asyncio.gather(
        api.get(f"/referrals/{rid}/chronology"), api.get(f"/referrals/{rid}/links")
    )
    return case, chronology, links


async def _render(
    request: Request,
    user: User,
    rid: str,
    *,
    values: Form | dict[str, Any] | None = None,
    key: str | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    case, chronology, links = await _read(Api(request, user), rid)
    now = datetime.now(UTC)
    intake = case.get("intake") or {}
    child = intake.get("child") or {}
    return page(
        request,
        user,
        "case.html",
        title=f"Case {rid[:8]}",
        status_code=status_code,
        values=values or {},
        errors=errors,
        case=case,
        rid=rid,
        intake=intake,
        child=child,
        deadlines=deadline_rows(case, now),
        tasks=task_rows(case),
        chronology=chronology_lines(chronology.get("items") or []),
        links=links.get("links") or [],
        information=sorted(case.get("information") or [], key=lambda i: instant(i["at"])),
        key=key or new_key(),
        time_left=lambda due: time_left(due, now),
        is_past=lambda due: is_past(due, now),
        **TEXT,
    )


@router.get("/work/cases/{referral_id}", response_class=HTMLResponse)
async def case_page(request: Request, referral_id: str, user: PageUser) -> Response:
    """The case as the API gives it to the signed-in member of staff (its 403 or 404 as the
    problem page)."""
    return await _render(request, user, _referral_id(referral_id))


def _try_again(err: RefusedError) -> str:
    if err.status == 429:
        return (
            "You have added a lot to this case in a short time: wait and try again. "
            "Nothing was added; what you typed is kept below."
        )
    if err.status == 503:
        return (
            "The service is busy and nothing was added. Send the form again in a moment: "
            "it will be recorded once."
        )
    return f"{err.message[:1].upper()}{err.message[1:]}. Nothing was added."


@router.post("/work/cases/{referral_id}/information", response_class=HTMLResponse)
async def add_information(request: Request, referral_id: str, user: PageUser) -> Response:
    """New information about the case, into its record and to the review that re-rates it."""
    form = read_form(await request.body())
    check_csrf(request, first(form, "csrf"))
    rid = _referral_id(referral_id)
    key = first(form, "idempotency_key") or new_key()
    api = Api(request, user)
    try:
        answer = await api.post(
            f"/referrals/{rid}/information", body_of(NewInformation, form), key=key
        )
    except RefusedError as err:
        if err.status == 422:
            # Nothing was applied: the corrected form is a new submission with a key of its own.
            errors, key = form_errors(err, fields=_FIELDS), new_key()
        elif err.status in (409, 429, 503):
            errors = [FieldError("", _try_again(err))]
        else:
            raise
        return await _render(
            request, user, rid, values=form, key=key, errors=errors, status_code=err.status
        )
    notice = "The new information is on the case."
    if answer.get("review_task_id"):
        notice += " A review of new information is in the team's work to re-rate the case."
    return see_other(f"/work/cases/{rid}?notice={quote(notice)}#information")
