"""Signing in from a browser (the dashboard), with no credential ever in an address.

- In production: the identity provider's authorization-code flow with PKCE. `GET /sign-in`
  sends the browser to the provider with a fresh state, nonce and code challenge (kept in a
  short-lived signed cookie); `GET /sign-in/callback` checks the state, exchanges the code (with
  its verifier and this API's client credentials) for an ID token, verifies it against the
  issuer's JWKS (`api.auth.verify_id_token`) and sets the session cookie. The code in the
  callback's address is single-use, bound to the verifier, and redacted from access logs.
- In development mode: a form (user id and role) posted with a CSRF token that must match the
  one in its cookie (double submit, SameSite=Strict), answered with the session cookie.

The session cookie is HttpOnly, SameSite=Strict, Secure as the settings say (on outside
development), for the whole site (the workbench under /work and the dashboard; the API's routes
never accept it, only a bearer token), and holds a session token signed by this API
(`issue_session`). After signing in the browser goes back to the page it wanted (`next`, a path
on this site only), or to the workbench.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

import httpx
import jwt
from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.auth import (
    AuthError,
    StaffRole,
    User,
    issue_session,
    openid_configuration,
    signing_key,
    verify_id_token,
)
from api.errors import ApiError
from api.workbench.forms import FieldError, first, read_form
from api.workbench.render import page
from api.workbench.session import SESSION_COOKIE, check_csrf, safe_next
from core.settings import Settings
from domain.tasks import Agency

router = APIRouter(tags=["sign-in"], include_in_schema=False)

SESSION_PATH = "/"
_CSRF_COOKIE = "frontdoor_csrf"
_FLOW_COOKIE = "frontdoor_sign_in"
_FLOW_MINUTES = 10
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.resources.settings
    return settings


def _set_cookie(
    response: Response, settings: Settings, name: str, value: str, path: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies(),
    )


def _signed_in(
    settings: Settings, user: User, wanted: str | None, expires: datetime | None = None
) -> Response:
    """Back to the page the browser wanted (or the workbench), holding the session."""
    response = RedirectResponse(safe_next(wanted), status_code=303, headers=_HEADERS)
    _set_cookie(
        response,
        settings,
        SESSION_COOKIE,
        issue_session(settings, user, expires=expires),
        SESSION_PATH,
        settings.max_token_hours * 3600,
    )
    return response


@router.get("/sign-in")
async def sign_in(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """The development form, or off to the identity provider."""
    settings = _settings(request)
    if settings.dev_mode:
        return _form(request, settings, safe_next(next))
    return await _to_identity_provider(settings, safe_next(next))


# ---- development: a form -----------------------------------------------------------------


def _form(
    request: Request,
    settings: Settings,
    wanted: str,
    problem: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    csrf = secrets.token_urlsafe(32)
    response = page(
        request,
        None,
        "sign_in.html",
        title="Sign in (development)",
        status_code=status_code,
        values=values or {"role": "practitioner"},
        errors=[FieldError("user_id", problem)] if problem else [],
        sign_in_csrf=csrf,
        roles=[(role.value, role.value.replace("_", " ")) for role in StaffRole],
        agencies=[(agency.value, agency.value.replace("_", " ")) for agency in Agency],
        next=wanted,
    )
    _set_cookie(response, settings, _CSRF_COOKIE, csrf, "/sign-in", _FLOW_MINUTES * 60)
    return response


@router.post("/sign-in")
async def sign_in_form(
    request: Request,
    csrf_cookie: Annotated[str | None, Cookie(alias=_CSRF_COOKIE, max_length=200)] = None,
) -> Response:
    """Development only: sign in as the user and role the form names."""
    settings = _settings(request)
    if not settings.dev_mode:
        raise ApiError(404, "not_found", "sign in through the identity provider at /sign-in")
    if request.headers.get("content-type", "").split(";")[0] != (
        "application/x-www-form-urlencoded"
    ):
        raise ApiError(415, "unsupported_media_type", "send the sign-in form")
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    sent = form.get("csrf", "")
    if csrf_cookie is None or not secrets.compare_digest(sent.encode(), csrf_cookie.encode()):
        raise ApiError(403, "forbidden", "the sign-in form has expired; open /sign-in again")
    user_id = form.get("user_id", "").strip()
    try:
        user = User.model_validate(
            {
                "user_id": user_id,
                "name": form.get("name", "").strip() or user_id,
                "roles": [form.get("role", "")],
                "agency": form.get("agency") or None,
            }
        )
    except ValidationError:
        return _form(
            request,
            settings,
            safe_next(form.get("next")),
            "Give a user id, a known role, and an agency for a partner",
            422,
            values=form,
        )
    return _signed_in(settings, user, form.get("next"))


# ---- production: the identity provider's authorization-code flow with PKCE ---------------


def _endpoints(settings: Settings) -> tuple[str, str]:
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_redirect_uri):
        raise ApiError(
            503,
            "unavailable",
            "signing in from a browser needs FRONTDOOR_OIDC_ISSUER, FRONTDOOR_OIDC_CLIENT_ID "
            "and FRONTDOOR_OIDC_REDIRECT_URI",
        )
    config = openid_configuration(settings.oidc_issuer)
    return str(config["authorization_endpoint"]), str(config["token_endpoint"])


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _to_identity_provider(settings: Settings, wanted: str) -> Response:
    authorize, _token = await asyncio.to_thread(_endpoints, settings)
    flow = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),
        "next": wanted,
    }
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": settings.oidc_redirect_uri,
            "scope": "openid profile",
            "state": flow["state"],
            "nonce": flow["nonce"],
            "code_challenge": _challenge(flow["verifier"]),
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{authorize}?{query}", status_code=303, headers=_HEADERS)
    expires = datetime.now(UTC) + timedelta(minutes=_FLOW_MINUTES)
    sealed = jwt.encode({**flow, "exp": expires}, signing_key(settings), algorithm="HS256")
    _set_cookie(response, settings, _FLOW_COOKIE, sealed, "/sign-in", _FLOW_MINUTES * 60)
    return response


def _flow(settings: Settings, cookie: str | None, state: str) -> dict[str, Any]:
    """The sign-in this browser began, if `state` is its own (no login CSRF)."""
    try:
        flow: dict[str, Any] = jwt.decode(
            cookie or "", signing_key(settings), algorithms=["HS256"], options={"require": ["exp"]}
        )
    except jwt.InvalidTokenError as err:
        raise ApiError(400, "bad_request", "this sign-in has expired; open /sign-in again") from err
    if not secrets.compare_digest(str(flow.get("state", "")).encode(), state.encode()):
        raise ApiError(400, "bad_request", "this sign-in is not the one this browser began")
    return flow


@router.get("/sign-in/callback")
async def sign_in_callback(
    request: Request,
    code: Annotated[str, Query(min_length=1, max_length=4096)],
    state: Annotated[str, Query(min_length=1, max_length=200)],
    flow_cookie: Annotated[str | None, Cookie(alias=_FLOW_COOKIE, max_length=4096)] = None,
) -> Response:
    """Where the identity provider sends the browser back with a one-time code."""
    settings = _settings(request)
    flow = _flow(settings, flow_cookie, state)
    _authorize, token_endpoint = await asyncio.to_thread(_endpoints, settings)
    secret = settings.oidc_client_secret
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": settings.oidc_redirect_uri,
        "client_id": settings.oidc_client_id,
        "code_verifier": flow["verifier"],
        **({"client_secret": secret.get_secret_value()} if secret else {}),
    }
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(token_endpoint, data=form)
        answer.raise_for_status()
        id_token = str(answer.json()["id_token"])
    except (httpx.HTTPError, ValueError, KeyError) as err:
        raise ApiError(
            401, "unauthenticated", "the identity provider did not accept this sign-in"
        ) from err
    try:
        user = await asyncio.to_thread(verify_id_token, settings, id_token, flow["nonce"])
    except AuthError as err:
        raise ApiError(401, "unauthenticated", str(err)) from err
    response = _signed_in(settings, user, str(flow.get("next") or ""))
    response.delete_cookie(_FLOW_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """Forget the session in this browser (the form carries the session's CSRF token, so no
    other site can sign a member of staff out)."""
    if request.cookies.get(SESSION_COOKIE):
        form = read_form(await request.body())
        check_csrf(request, first(form, "csrf"))
    response = RedirectResponse("/sign-in", status_code=303, headers=_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path=SESSION_PATH)
    return response
