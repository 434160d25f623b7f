"""Workbench pages: case audits (docs/quality-assurance.md). The signed-in auditor's or
manager's audits (`GET /audits`), a manager's form to draw a month's sample
(`POST /audits/samples`), and one audit: the case as the record shows it, the graded form
(`PUT /audits/{id}/answers`), moderation by a second auditor (`POST /audits/{id}/moderation`)
and learning actions (`POST /audits/{id}/actions`). The API says who may do which."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import StaffRole, User
from api.models.audits import AuditForm, DrawSample, ModerationForm, NewAction
from api.workbench.audits_form import (
    ACTION_FIELDS,
    FORM_FIELDS,
    GRADES,
    MODERATION_FIELDS,
    QUESTIONS,
    answer_errors,
    saved_values,
)
from api.workbench.calls import Api, RefusedError
from api.workbench.forms import FieldError, Form, body_of, first, read_form
from api.workbench.managers_text import day, label, month_before, when
from api.workbench.render import form_errors, new_key, page, see_other
from api.workbench.session import check_csrf, page_user
from domain.calendar import LONDON

router = APIRouter(include_in_schema=False)

PageUser = Annotated[User, Depends(page_user)]


def _last_month() -> str:
    return month_before(datetime.now(UTC).astimezone(LONDON).date())


async def _list_page(
    request: Request,
    user: User,
    *,
    values: Form | dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
    sample_key: str | None = None,
) -> HTMLResponse:
    audits: list[dict[str, Any]] = await Api(request, user).get("/audits")
    return page(
        request,
        user,
        "audits.html",
        title="Case audits",
        status_code=status_code,
        values=values if values is not None else {"month": _last_month()},
        errors=errors,
        mine=[a for a in audits if a["auditor"] == user.user_id],
        to_moderate=[a for a in audits if a["auditor"] != user.user_id],
        may_draw=user.has(StaffRole.manager),
        sample_key=sample_key or new_key(),
        label=label,
        when=when,
    )


@router.get("/work/audits", response_class=HTMLResponse)
async def audits(request: Request, user: PageUser) -> HTMLResponse:
    """The audits given to the signed-in auditor or manager, and those they may moderate."""
    return await _list_page(request, user)


@router.post("/work/audits/samples", response_class=HTMLResponse)
async def draw_sample(request: Request, user: PageUser) -> Response:
    """A manager draws a month's sample of closed cases. The form's Idempotency-Key makes a
    second press of the button (or a retry after a 503) answer with the sample drawn first."""
    form = read_form(await request.body())
    check_csrf(request, first(form, "csrf"))
    key = first(form, "idempotency_key") or new_key()
    try:
        body = body_of(DrawSample, form)
        if not body.get("auditors"):
            body.pop("auditors", None)  # blank: the API's default auditors
        sample = await Api(request, user).post("/audits/samples", body, key=key)
    except RefusedError as err:
        if err.status not in (409, 422, 503):
            raise
        errors = form_errors(err, fields={"month", "seed", "auditors"})
        # A 422: the corrected form is a new request with a key of its own; after a 409 (no
        # auditor: nothing drawn, the key freed) or a 503, the same key again.
        again = key if err.status in (409, 503) else new_key()
        return await _list_page(
            request, user, values=form, errors=errors, status_code=err.status, sample_key=again
        )
    drawn = len(sample["audits"])
    notice = (
        f"Sample for {sample['month']} drawn: {drawn} of {sample['candidates']} closed cases "
        f"to audit (seed {sample['seed']})."
    )
    return see_other(f"/work/audits?{urlencode({'notice': notice})}")


async def _audit_page(
    request: Request,
    user: User,
    audit_id: UUID,
    *,
    values: Form | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
    part: str = "answers",
) -> HTMLResponse:
    audit: dict[str, Any] = await Api(request, user).get(f"/audits/{audit_id}")
    is_auditor = audit["auditor"] == user.user_id
    saved = saved_values(audit)
    return page(
        request,
        user,
        "audit.html",
        title="Case audit",
        status_code=status_code,
        values=saved if values is None else values if part == "answers" else {**saved, **values},
        errors=errors,
        audit=audit,
        case=audit["case"],
        questions=QUESTIONS,
        grades=GRADES,
        may_answer=is_auditor and audit["status"] != "moderated",
        may_moderate=(not is_auditor and audit["to_moderate"] and audit["status"] == "submitted"),
        may_act=is_auditor or user.has(StaffRole.manager),
        label=label,
        when=when,
        day=day,
    )


@router.get("/work/audits/{audit_id}", response_class=HTMLResponse)
async def audit(request: Request, user: PageUser, audit_id: UUID) -> HTMLResponse:
    """One audit: the case, the graded form (to its auditor), moderation and actions."""
    return await _audit_page(request, user, audit_id)


async def _post(
    request: Request, user: User, audit_id: UUID, part: str, send: Any, fields: set[str]
) -> Response:
    """Check the form, send it, and show the audit again (PRG), or the form with its errors."""
    form = read_form(await request.body())
    check_csrf(request, first(form, "csrf"))
    try:
        notice = await send(Api(request, user), form)
    except RefusedError as err:
        if err.status not in (409, 422, 503):
            raise
        errors = form_errors(err, fields=fields)
        if part == "answers":
            errors = answer_errors(errors)
        return await _audit_page(
            request, user, audit_id, values=form, errors=errors, status_code=err.status, part=part
        )
    return see_other(f"/work/audits/{audit_id}?{urlencode({'notice': notice})}")


@router.post("/work/audits/{audit_id}", response_class=HTMLResponse)
async def save_answers(request: Request, user: PageUser, audit_id: UUID) -> Response:
    """The auditor saves the whole form, which submits the audit."""

    async def send(api: Api, form: Form) -> str:
        await api.call("PUT", f"/audits/{audit_id}/answers", body=body_of(AuditForm, form))
        return "Audit saved and submitted."

    return await _post(request, user, audit_id, "answers", send, FORM_FIELDS)


@router.post("/work/audits/{audit_id}/moderation", response_class=HTMLResponse)
async def moderate(request: Request, user: PageUser, audit_id: UUID) -> Response:
    """A second auditor's moderation of a submitted audit marked for it."""

    async def send(api: Api, form: Form) -> str:
        await api.post(f"/audits/{audit_id}/moderation", body_of(ModerationForm, form))
        return "Moderation recorded."

    return await _post(request, user, audit_id, "moderation", send, MODERATION_FIELDS)


@router.post("/work/audits/{audit_id}/actions", response_class=HTMLResponse)
async def add_action(request: Request, user: PageUser, audit_id: UUID) -> Response:
    """A learning action from the audit's findings."""

    async def send(api: Api, form: Form) -> str:
        await api.post(f"/audits/{audit_id}/actions", body_of(NewAction, form))
        return "Learning action raised."

    return await _post(request, user, audit_id, "action", send, ACTION_FIELDS)
