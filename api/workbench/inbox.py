"""Workbench pages: "My work and my team's work" (`/work`), the inbox, and its claim, release
and assign buttons; the case page (api/workbench/case_page.py) is included from its own module.

The inbox is `GET /tasks?sort=urgent` as the signed-in member of staff (the API decides whose
tasks they see: partners only their own agency's), the overdue first, then the escalated, each
by due time, filtered by kind, agency, overdue and "mine" (`assignee=me`), a page at a time.
Claim, release and assign are the API's own routes; what they refuse is shown on the inbox.
Staff whose roles work no tasks are sent where their work is (auditors to their audits, the
oversight group to the dashboard) or told what the service has for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qs, quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import StaffRole, User
from api.workbench.calls import Api, RefusedError
from api.workbench.case_text import (
    AGENCIES,
    KINDS,
    TEXT,
    is_past,
    kind_text,
    short,
    time_left,
)
from api.workbench.forms import FieldError, first, read_form
from api.workbench.render import page, see_other
from api.workbench.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)

PageUser = Annotated[User, Depends(page_user)]

PAGE_SIZE = 25
_FILTERS = ("kind", "agency", "overdue", "mine", "page")


@dataclass(frozen=True)
class Filters:
    """What the inbox is asked to show (codes only: nothing personal in the address)."""

    kind: str = ""
    agency: str = ""
    overdue: bool = False
    mine: bool = False
    page: int = 1

    @classmethod
    def of(cls, query: dict[str, str]) -> Filters:
        """The filters asked for; an unknown code or page is left out, not an error."""
        raw_page = query.get("page", "")
        return cls(
            kind=query.get("kind", "") if query.get("kind") in KINDS else "",
            agency=query.get("agency", "") if query.get("agency") in AGENCIES else "",
            overdue=query.get("overdue") == "yes",
            mine=query.get("mine") == "yes",
            page=int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 10_000 else 1,
        )

    def query(self, page: int | None = None) -> str:
        """These filters (on another `page`, if given) as an address's query string."""
        number = self.page if page is None else page
        given = {**self.values, "page": str(number) if number > 1 else ""}
        return urlencode({k: v for k, v in given.items() if v})

    @property
    def any(self) -> bool:
        return bool(self.kind or self.agency or self.overdue or self.mine)

    @property
    def values(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "agency": self.agency,
            "overdue": "yes" if self.overdue else "",
            "mine": "yes" if self.mine else "",
        }


def _works_tasks(user: User) -> bool:
    return user.has(StaffRole.practitioner, StaffRole.manager, StaffRole.agency)


async def _inbox(
    request: Request,
    user: User,
    filters: Filters,
    *,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    answer = await Api(request, user).get(
        "/tasks",
        kind=filters.kind or None,
        agency=filters.agency or None,
        overdue="true" if filters.overdue else None,
        assignee="me" if filters.mine else None,
        sort="urgent",
        limit=PAGE_SIZE + 1,
        offset=(filters.page - 1) * PAGE_SIZE,
    )
    items = answer["items"]
    now = datetime.now(UTC)
    partner = user.is_partner
    return page(
        request,
        user,
        "inbox.html",
        title="My work and my team's work",
        status_code=status_code,
        values=filters.values,
        errors=errors,
        tasks=items[:PAGE_SIZE],
        filters=filters,
        back=filters.query(),
        newer=filters.page > 1,
        older=len(items) > PAGE_SIZE,
        partner=partner,
        manager=user.has(StaffRole.manager),
        kinds=list(KINDS.items()),
        agencies=[(code, words[:1].upper() + words[1:]) for code, words in AGENCIES.items()],
        typed=typed or {},
        time_left=lambda due: time_left(due, now),
        is_past=lambda due: is_past(due, now),
        **TEXT,
    )


@router.get("/work", response_class=HTMLResponse)
async def my_work(request: Request, user: PageUser) -> Response:
    """The signed-in member of staff's inbox, or where their work is if they work no tasks."""
    if not _works_tasks(user):
        if user.has(StaffRole.auditor):
            return see_other("/work/audits")
        if user.has(StaffRole.oversight):
            return see_other("/dashboard")
        return page(request, user, "inbox_other.html", title="What you can do here")
    return await _inbox(request, user, Filters.of(dict(request.query_params)))


def _back(form: dict[str, list[str]]) -> Filters:
    """The inbox's filters as the form's page had them (its hidden `back` field)."""
    asked = parse_qs(first(form, "back"))
    return Filters.of({k: v[0] for k, v in asked.items() if k in _FILTERS and v})


def _task_id(raw: str) -> str:
    try:
        return str(UUID(raw))
    except ValueError:
        raise RefusedError(404, "not_found", "Page not found", []) from None


def _to_inbox(filters: Filters, notice: str) -> Response:
    query = filters.query()
    return see_other(f"/work?{query + '&' if query else ''}notice={quote(notice)}")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


async def _act(request: Request, user: User, task_id: str, action: str) -> Response:
    form = read_form(await request.body())
    check_csrf(request, first(form, "csrf"))
    tid = _task_id(task_id)
    filters = _back(form)
    try:
        row = await Api(request, user).post(f"/tasks/{tid}/{action}")
    except RefusedError as err:
        if err.status not in (404, 409, 422):
            raise
        error = FieldError("", _sentence(err.message))
        return await _inbox(request, user, filters, errors=[error], status_code=err.status)
    what = f"the {kind_text(row['kind'], row['agency']).lower()} task on case"
    case = short(row["referral_id"])
    if action == "claim":
        notice = f"You hold {what} {case} now."
    else:
        notice = f"You released {what} {case}: it is back with the team."
    return _to_inbox(filters, notice)


@router.post("/work/tasks/{task_id}/claim", response_class=HTMLResponse)
async def claim(request: Request, task_id: str, user: PageUser) -> Response:
    """Take a task of your team (the API's 409 names who holds it)."""
    return await _act(request, user, task_id, "claim")


@router.post("/work/tasks/{task_id}/release", response_class=HTMLResponse)
async def release(request: Request, task_id: str, user: PageUser) -> Response:
    """Give a task back to the team."""
    return await _act(request, user, task_id, "release")


@router.post("/work/tasks/{task_id}/assign", response_class=HTMLResponse)
async def assign(request: Request, task_id: str, user: PageUser) -> Response:
    """A manager gives a task to a member of staff; the API's refusal shown beside the field."""
    form = read_form(await request.body())
    check_csrf(request, first(form, "csrf"))
    tid = _task_id(task_id)
    filters = _back(form)
    given = first(form, "user_id").strip()
    field = f"assign-{tid}"
    try:
        if not given:
            raise RefusedError(
                422, "invalid_request", "Enter the user ID of who to give the task to", []
            )
        row = await Api(request, user).post(f"/tasks/{tid}/assign", {"user_id": given})
    except RefusedError as err:
        if err.status not in (404, 409, 422):
            raise
        error = FieldError(field if err.status == 422 else "", _sentence(err.message))
        return await _inbox(
            request,
            user,
            filters,
            errors=[error],
            status_code=err.status,
            typed={field: given},
        )
    what = kind_text(row["kind"], row["agency"]).lower()
    notice = f"The {what} task on case {short(row['referral_id'])} is held by {given} now."
    return _to_inbox(filters, notice)
