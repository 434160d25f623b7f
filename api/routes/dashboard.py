"""`GET /dashboard`: the managers' morning page, rendered on the server from the same report as
`GET /performance` (templates in api/templates, charts as inline SVG, no script, nothing from
another site). Ids, codes and counts only: no child's or family's details ever reach it.

Who may open it: a manager, by the usual `Authorization: Bearer` header, or by a browser that
was given the token once as `?token=`: that request is answered with a cookie (HttpOnly,
SameSite=Strict, path /dashboard only) and a redirect that drops the token from the address.
Both ways end in `verify_token`, like every other route.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import AuthError, StaffRole, User, verify_token
from api.dashboard_view import build_view
from api.deps import PoolDep, ReportScope, SettingsDep
from api.errors import ApiError
from api.pages import templates
from core.settings import Settings
from domain.calendar import LONDON
from store.performance.report import report

router = APIRouter(tags=["dashboard"])

COOKIE = "frontdoor_dashboard"
"""The cookie that carries a manager's token for the dashboard's path only."""

_bearer = HTTPBearer(auto_error=False)
_HEADERS = {
    # The page has no script and loads nothing; the first request may carry a token in its URL.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _manager(settings: Settings, token: str) -> User:
    try:
        user = verify_token(settings, token)
    except AuthError as err:
        raise ApiError(401, "unauthenticated", str(err)) from err
    if not user.has(StaffRole.manager):
        raise ApiError(403, "forbidden", "this needs one of the roles: manager")
    return user


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=True)
async def dashboard(
    request: Request,
    pool: PoolDep,
    settings: SettingsDep,
    scope: ReportScope,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    token: Annotated[str | None, Query(max_length=4096, description="once, from a browser")] = None,
    cookie: Annotated[str | None, Cookie(alias=COOKIE, max_length=4096)] = None,
) -> Response:
    """The performance dashboard: headline tiles, weekly charts, agencies, overdue work."""
    if token is not None:
        _manager(settings, token)
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = "/dashboard" + (f"?{urlencode(kept)}" if kept else "")
        redirect = RedirectResponse(target, status_code=303, headers=_HEADERS)
        redirect.set_cookie(
            COOKIE,
            token,
            path="/dashboard",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return redirect
    presented = credentials.credentials if credentials is not None else cookie
    if presented is None:
        raise ApiError(
            401,
            "unauthenticated",
            "send Authorization: Bearer <token>, or open /dashboard?token=<token> once",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = _manager(settings, presented)
    async with pool.acquire() as conn:
        result = await report(conn, scope)
    page = (
        templates()
        .get_template("dashboard.html")
        .render(view=build_view(result), user_id=user.user_id, london=LONDON)
    )
    return HTMLResponse(page, headers=_HEADERS)
