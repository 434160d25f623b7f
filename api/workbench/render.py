"""Rendering a workbench page: the shared context (who is signed in, the navigation, the CSRF
token, the form's values and errors) and the headers every page is sent with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import StaffRole, User
from api.pages import templates
from api.workbench.calls import RefusedError
from api.workbench.forms import FieldError, Form, field_errors, field_id, local_input
from api.workbench.session import csrf_token

HEADERS = {
    # Scripts, styles and fonts from this site only (GOV.UK Frontend is vendored): nothing
    # inline, nothing from elsewhere.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    active: bool


def _nav(user: User, path: str) -> list[NavItem]:
    items: list[tuple[str, str]] = []
    if user.has(StaffRole.practitioner, StaffRole.manager, StaffRole.agency):
        items.append(("/work", "My work"))
    if user.has(StaffRole.practitioner, StaffRole.manager):
        items.append(("/work/contacts/new", "Take in a contact"))
    if user.has(StaffRole.manager):
        items.append(("/work/manage", "Managers"))
    if user.has(StaffRole.manager, StaffRole.auditor):
        items.append(("/work/audits", "Audits"))
    if user.has(StaffRole.manager, StaffRole.oversight):
        items.append(("/dashboard", "Dashboard"))

    def active(href: str) -> bool:
        return path == href if href == "/work" else path.startswith(href)

    return [NavItem(href, label, active(href)) for href, label in items]


def val(values: Form | dict[str, Any], name: str) -> str:
    """A field's value for an input."""
    value = values.get(name)
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def vals(values: Form | dict[str, Any], name: str) -> list[str]:
    """A field's values (checkboxes, a textarea of lines)."""
    value = values.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def new_key() -> str:
    """A fresh Idempotency-Key for a form: the same submission sent twice is applied once."""
    return str(uuid.uuid4())


def page(
    request: Request,
    user: User | None,
    template: str,
    *,
    title: str,
    status_code: int = 200,
    values: Form | dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    **context: Any,
) -> HTMLResponse:
    """`template` (under api/templates/workbench) rendered for `user`."""
    errors = errors or []
    errors_by: dict[str, str] = {}
    for error in errors:
        errors_by.setdefault(error.name, error.text)
    html = (
        templates()
        .get_template(f"workbench/{template}")
        .render(
            title=title,
            user=user,
            nav=_nav(user, request.url.path) if user else [],
            csrf=csrf_token(request) if user else "",
            values=values or {},
            errors=errors,
            errors_by=errors_by,
            field_id=field_id,
            val=val,
            vals=vals,
            local_time=local_input,
            notice=context.pop("notice", request.query_params.get("notice")),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def see_other(location: str) -> RedirectResponse:
    """After a form that changed something: to the page that shows it (Post/Redirect/Get)."""
    return RedirectResponse(location, status_code=303, headers=HEADERS)


def refused(request: Request, user: User | None, err: RefusedError) -> HTMLResponse:
    """A page saying what the API refused and what to do (no form to correct)."""
    hint = {
        401: "Sign in again.",
        403: "You do not have access to this. Ask a manager if you think you should.",
        404: "Check the address, or go back to your work.",
        409: "Someone else changed this first. Go back and look at it again.",
        429: "Wait a moment and try again.",
        503: "Nothing was changed. Try again in a moment: sending the same form again is safe.",
    }.get(err.status, "Go back and try again.")
    return page(
        request,
        user,
        "problem.html",
        title="There is a problem",
        status_code=err.status,
        problem=err,
        hint=hint,
    )


def form_errors(
    err: RefusedError, *, strip: tuple[str, ...] = (), fields: set[str] | None = None
) -> list[FieldError]:
    """What to show on a form the API refused: the 422's fields, or its message."""
    if err.status == 422 and err.details and any("field" in d for d in err.details):
        return field_errors(err.details, strip=strip, fields=fields)
    return [FieldError("", err.message)]
