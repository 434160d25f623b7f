"""`GET /dashboard`: the managers' morning page, rendered on the server from the same report as
`GET /performance` (templates in api/templates, charts as inline SVG, no script, nothing from
another site). Ids, codes and counts only: no child's or family's details ever reach it.

Who may open it: a manager, by the usual `Authorization: Bearer` header, or by a browser holding
the session cookie that signing in set (api/routes/sign_in.py). No credential is ever taken from
the address, where logs, history and referrers would keep it: a browser without a session is
sent to /sign-in. Reads are recorded in `access_event` like every other route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import AuthError, StaffRole, User, verify_session
from api.dashboard_view import build_view
from api.deps import PoolDep, ReportScope, authenticated, signed_in
from api.errors import ApiError
from api.pages import templates
from api.workbench.session import SESSION_COOKIE
from domain.calendar import LONDON
from store.performance.audits import audits
from store.performance.report import report

router = APIRouter(tags=["dashboard"])

_bearer = HTTPBearer(auto_error=False)
_HEADERS = {
    # The page has no script and loads nothing.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def _caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[str | None, Cookie(alias=SESSION_COOKIE, max_length=4096)] = None,
) -> User | None:
    """Who is calling, by bearer token or session cookie; None for nobody."""
    if credentials is not None:
        return await authenticated(request, credentials.credentials)
    if session is None:
        return None
    try:
        user = verify_session(request.app.state.resources.settings, session)
    except AuthError as err:
        raise ApiError(401, "unauthenticated", f"{err}; sign in again at /sign-in") from err
    return await signed_in(request, user)


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=True)
async def dashboard(
    request: Request,
    pool: PoolDep,
    scope: ReportScope,
    user: Annotated[User | None, Depends(_caller)],
) -> Response:
    """The performance dashboard: headline tiles, weekly charts, agencies, overdue work, case
    audits."""
    if user is None:
        if "text/html" in request.headers.get("accept", ""):  # a browser: sign in first
            return RedirectResponse("/sign-in?next=/dashboard", status_code=303, headers=_HEADERS)
        raise ApiError(
            401,
            "unauthenticated",
            "send Authorization: Bearer <token>, or sign in from a browser at /sign-in",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not user.has(StaffRole.manager, StaffRole.oversight):  # aggregates: ids and counts only
        raise ApiError(403, "forbidden", "this needs one of the roles: manager, oversight")
    async with pool.acquire() as conn:
        result = await report(conn, scope)
        audit_results = await audits(conn, scope)
    page = (
        templates()
        .get_template("dashboard.html")
        .render(view=build_view(result), audits=audit_results, user_id=user.user_id, london=LONDON)
    )
    return HTMLResponse(page, headers=_HEADERS)
