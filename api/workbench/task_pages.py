"""Workbench pages: a task (`/work/tasks/{task_id}`), what it needs to see and its form.

The page shows what `GET /tasks/{task_id}` gives the signed-in member of staff: for council staff
the child and household, the concern, the case's stage and deadlines, earlier referrals, the
agency checks asked and still missing, linked children, siblings and (on a screening) the
exploitation prompts; for a partner agency only the child's identifying details, the concern and
the household to search for. Below it is the task's form, one per kind
(`workbench/tasks/<kind>.html`), whose field names are the result's field paths: the form is
made into the result with `body_of(<the kind's result model>, ...)` and sent to
`POST /tasks/{task_id}/complete` with the form's own Idempotency-Key. The API decides what is
valid and who may do it; its 422 is shown beside the fields, with everything typed kept.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import StaffRole, User
from api.workbench.calls import Api, RefusedError
from api.workbench.forms import FieldError, Form, body_of, first, local_input, read_form
from api.workbench.render import new_key, page, see_other
from api.workbench.session import check_csrf, page_user
from api.workbench.task_errors import task_errors
from api.workbench.task_forms import (
    DEADLINE_LABELS,
    KIND_LABELS,
    STAGE_LABELS,
    choices,
    date_text,
    label_of,
    notice,
    result_model,
    time_left,
    when_text,
    words,
)
from domain.case import MET_BY

router = APIRouter(include_in_schema=False)

PageUser = Annotated[User, Depends(page_user)]

# Refusals shown on the form itself, with what was typed kept and the same Idempotency-Key
# (sending it again is safe): someone else changed the task first, or the API was busy.
_TRY_AGAIN = (409, 429, 503)


def _task_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise RefusedError(404, "not_found", "Page not found", []) from None


def _checks(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's agency checks (the latest ask of each agency), for council staff."""
    case = detail.get("case") or {}
    latest: dict[str, dict[str, Any]] = {}
    for task in case.get("tasks") or []:
        if task.get("kind") == "agency_check" and task.get("status") != "superseded":
            latest[str(task.get("agency"))] = task
    return list(latest.values())


def _missing(checks: list[dict[str, Any]]) -> list[str]:
    """The agencies asked whose check has not come back yet."""
    return [str(c.get("agency")) for c in checks if c.get("status") == "open"]


def _earlier(detail: dict[str, Any]) -> list[str]:
    case = detail.get("case") or {}
    ids = [str(r) for r in case.get("earlier_referrals") or []]
    for task in case.get("tasks") or []:
        ids += [str(r) for r in task.get("earlier_referrals") or [] if str(r) not in ids]
    return ids


def _render(
    request: Request,
    user: User,
    detail: dict[str, Any],
    *,
    values: Form | dict[str, Any],
    key: str,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    task = detail["task"]
    kind = str(task["kind"])
    checks = _checks(detail)
    holder = task.get("assignee")
    now = datetime.now(UTC)
    return page(
        request,
        user,
        "task.html",
        title=KIND_LABELS.get(kind, kind),
        status_code=status_code,
        values=values,
        errors=errors,
        task=task,
        detail=detail,
        partner=detail.get("view") == "partner",
        key=key,
        choices=choices(),
        now_local=local_input(now),
        kind_label=KIND_LABELS.get(kind, kind),
        stage_label=lambda s: STAGE_LABELS.get(str(s), str(s)),
        deadline_label=lambda d: DEADLINE_LABELS.get(str(d), str(d)),
        label_of=label_of,
        when_text=when_text,
        date_text=date_text,
        words=words,
        time_left=partial(time_left, now=now),
        checks=checks,
        missing=_missing(checks),
        earlier=_earlier(detail),
        met_by={d.value: m.value for d, m in MET_BY.items()},
        held_by_other=holder not in (None, user.user_id) and not user.has(StaffRole.manager),
    )


@router.get("/work/tasks/{task_id}", response_class=HTMLResponse)
async def task_page(request: Request, task_id: str, user: PageUser) -> Response:
    """The task, what it needs to see, and its form (the API's 403 or 404 as a problem page)."""
    detail = await Api(request, user).get(f"/tasks/{_task_id(task_id)}")
    return _render(request, user, detail, values={}, key=new_key())


@router.post("/work/tasks/{task_id}", response_class=HTMLResponse)
async def complete_task(request: Request, task_id: str, user: PageUser) -> Response:
    """The form made into the task's result and sent to the API; its refusal shown on the
    form, its answer as a notice on the person's work."""
    form = read_form(await request.body())
    check_csrf(request, first(form, "csrf"))
    tid = _task_id(task_id)
    api = Api(request, user)
    key = first(form, "idempotency_key") or new_key()
    try:
        detail = await api.get(f"/tasks/{tid}")
    except RefusedError as err:
        if err.status not in _TRY_AGAIN:
            raise
        # The case cannot be read just now (for council staff it is read from the workflow):
        # keep what was typed, to send again as it is, with the same key.
        return _resend(request, user, tid, form, err)
    kind = str(detail["task"]["kind"])
    body = {"result": body_of(result_model(kind), form, fixed={"kind": kind})}
    try:
        answer = await api.post(f"/tasks/{tid}/complete", body, key=key)
    except RefusedError as err:
        if err.status == 422:
            # Nothing was applied: the corrected form is a new submission with a key of its own.
            errors, key = task_errors(err, kind), new_key()
        elif err.status in _TRY_AGAIN:
            errors = [FieldError("", _try_again(err))]
        else:
            raise
        return _render(
            request, user, detail, values=form, key=key, errors=errors, status_code=err.status
        )
    before = (detail.get("case") or {}).get("stage") if detail.get("view") == "staff" else None
    return see_other(f"/work?notice={quote(notice(kind, before, answer))}")


def _try_again(err: RefusedError) -> str:
    if err.status == 409:
        return f"{err.message[:1].upper()}{err.message[1:]}. Nothing you typed was saved."
    return (
        "The service is busy and nothing was saved. Check your answers and send the form again: "
        "it will be recorded once."
    )


def _resend(
    request: Request, user: User, task_id: str, form: Form, err: RefusedError
) -> HTMLResponse:
    """Nothing was saved and the task's page cannot be shown: what was typed, ready to send
    again as it is (the same Idempotency-Key, so it is recorded once)."""
    typed = [(name, values) for name, values in form.items() if name != "csrf"]
    return page(
        request,
        user,
        "task_resend.html",
        title="Your answers have not been sent yet",
        status_code=err.status,
        errors=[FieldError("", _try_again(err))],
        task_id=task_id,
        typed=typed,
        shown=[
            (name, value)
            for name, values in typed
            if name != "idempotency_key"
            for value in values
            if value.strip()
        ],
    )
