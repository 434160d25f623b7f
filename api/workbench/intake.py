"""Workbench pages: take in a contact (`/work/contacts/new`), the intake form.

The form follows `POST /referrals`' contract (api/models/intake.py): its fields are the body's
paths (`referrer.name`, `children.0.date_of_birth`, `household.1.relationship`) and the body is
made from them by `body_of(IntakeRequest, ...)`. Several children are numbered groups (a blank
group is left out), with a button that shows one more (no script needed). Before submitting,
"Check for existing records" (`POST /work/contacts/check`) asks the person search about each
child and shows the same form, everything kept, with the records found. The API's answers are
shown on the form: its 422 beside the fields, its 409 `open_case` as a choice per child (add to
that case, or a new case and why). Nothing typed is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import StaffRole, User
from api.models.intake import MAX_CHILDREN, IntakeRequest
from api.workbench.calls import Api, RefusedError
from api.workbench.forms import FieldError, Form, body_of, first, local_input, read_form
from api.workbench.intake_form import (
    CATEGORIES,
    CONSENTS,
    ETHNICITIES,
    GENDERS,
    MAX_MEMBERS,
    SOURCES,
    OpenCase,
    choices,
    choices_made,
    group_counts,
    intake_errors,
    open_cases_in,
    open_cases_of,
    stage_words,
)
from api.workbench.intake_search import Found, existing_records
from api.workbench.render import new_key, page, refused, see_other
from api.workbench.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)

PageUser = Annotated[User, Depends(page_user)]

TITLE = "Take in a contact"


def _may_take_in(request: Request, user: User) -> HTMLResponse | None:
    """The API takes contacts from the council's practitioners and managers only; anyone else
    is told so before they type anything."""
    if user.has(StaffRole.practitioner, StaffRole.manager):
        return None
    return refused(
        request,
        user,
        RefusedError(
            403,
            "forbidden",
            "Taking in a contact is for the front door's practitioners and managers.",
            [],
        ),
    )


def _form_page(
    request: Request,
    user: User,
    values: Form | dict[str, Any],
    *,
    key: str,
    status_code: int = 200,
    errors: list[FieldError] | None = None,
    found: dict[int, Found] | None = None,
    open_cases: dict[int, list[OpenCase]] | None = None,
    adding: str = "",
) -> HTMLResponse:
    form = {k: v if isinstance(v, list) else [v] for k, v in values.items()}
    children, members = group_counts(form, adding=adding)
    return page(
        request,
        user,
        "intake.html",
        title=TITLE,
        status_code=status_code,
        values=values,
        errors=errors,
        key=key,
        children=children,
        members=members,
        found=found or {},
        open_cases=open_cases if open_cases is not None else open_cases_in(form),
        sources=choices(SOURCES, codes=True),
        categories=choices(CATEGORIES),
        consents=choices(CONSENTS),
        genders=choices(GENDERS),
        ethnicities=choices(ETHNICITIES),
        stage_words=stage_words,
        max_children=MAX_CHILDREN,
        max_members=MAX_MEMBERS,
    )


def _key_of(form: Form) -> str:
    return first(form, "idempotency_key") or new_key()


@router.get("/work/contacts/new", response_class=HTMLResponse)
async def intake_form(request: Request, user: PageUser) -> Response:
    if (no := _may_take_in(request, user)) is not None:
        return no
    now = local_input(datetime.now(UTC))
    return _form_page(request, user, {"received_at": now}, key=new_key())


@router.post("/work/contacts/check", response_class=HTMLResponse)
async def check_records(request: Request, user: PageUser) -> Response:
    """The same form, with each child's existing records from the person search."""
    form = read_form(await request.body())
    check_csrf(request, first(form, "csrf"))
    if (no := _may_take_in(request, user)) is not None:
        return no
    children, _ = group_counts(form)
    found = await existing_records(Api(request, user), form, children)
    if not found:
        errors = [FieldError("children.0.name", "Give a child's name to look for their records")]
        return _form_page(request, user, form, key=_key_of(form), errors=errors, status_code=422)
    return _form_page(request, user, form, key=_key_of(form), found=found)


@router.post("/work/contacts/new", response_class=HTMLResponse)
async def take_in(request: Request, user: PageUser) -> Response:
    form = read_form(await request.body())
    check_csrf(request, first(form, "csrf"))
    if (no := _may_take_in(request, user)) is not None:
        return no
    key = _key_of(form)
    adding = first(form, "add")
    if adding in ("child", "person"):  # one more group, everything typed kept
        return _form_page(request, user, form, key=key, adding=adding)
    body = body_of(IntakeRequest, choices_made(form))
    try:
        answer = await Api(request, user).post("/referrals", body, key=key)
    except RefusedError as err:
        if err.status not in (404, 409, 422, 429, 503):
            raise
        open_cases = open_cases_of(err) if err.code == "open_case" else None
        errors = _refusal(err, open_cases)
        if _key_reused(err):
            # This form was taken in already, as it was before it was changed: sent again, it
            # is a contact of its own (the API still asks about any child's open case).
            key = new_key()
        return _form_page(
            request,
            user,
            form,
            key=key,
            status_code=err.status,
            errors=errors,
            open_cases=open_cases,
        )
    return see_other(_where_next(answer))


def _refusal(err: RefusedError, open_cases: dict[int, list[OpenCase]] | None) -> list[FieldError]:
    if open_cases:
        return [
            FieldError(
                f"children.{index}.add_to_case",
                f"Child {index + 1} may already have an open case: add this contact to it, "
                "or open a new case and say why",
            )
            for index in sorted(open_cases)
        ]
    if err.status in (429, 503):
        return [
            FieldError(
                "",
                "Nothing was taken in: the service could not take it just now. Wait a moment "
                "and send the form again (it is taken in once, however often it is sent).",
            )
        ]
    if _key_reused(err):
        return [
            FieldError(
                "",
                "This form was taken in already, before it was changed: look at the cases it "
                "made in your work. Send it again only if this is a further contact.",
            )
        ]
    return intake_errors(err)


def _key_reused(err: RefusedError) -> bool:
    return err.status == 422 and any(d.get("field") == "Idempotency-Key" for d in err.details)


def _where_next(answer: dict[str, Any]) -> str:
    """The first child's next task (its screening, or the review of the new information on
    its open case), with a notice of what the contact made."""
    cases = answer["cases"]
    made = sum(1 for c in cases if not c["added_to_open_case"])
    added = len(cases) - made
    said = []
    if made:
        said.append(f"{made} new case{'s' if made != 1 else ''} made")
    if added:
        said.append(f"added to {added} open case{'s' if added != 1 else ''} as new information")
    first_case = cases[0]
    if first_case.get("screening_task_id"):
        where, what = f"/work/tasks/{first_case['screening_task_id']}", "screening"
    elif first_case.get("review_task_id"):
        where, what = f"/work/tasks/{first_case['review_task_id']}", "review of the new information"
    else:
        where, what = f"/work/cases/{first_case['referral_id']}", "case"
    notice = "Contact taken in: " + " and ".join(said) + "."
    if len(cases) > 1:
        notice += f" This is the first child's {what}."
    return f"{where}?notice={quote(notice)}"
