"""Who is signed in to the workbench, and the CSRF token every one of its forms carries.

A page reads the session cookie that signing in set (api/routes/sign_in.py: HttpOnly,
SameSite=Strict, Secure outside development, signed by this API, never a bearer token). A
browser without a valid session is sent to /sign-in, with the page it wanted as `next` (a
path on this site only). Every form posts a CSRF token derived from the session (HMAC of the
session cookie under the signing key), so a page on another site cannot submit one, and a token
stops working when its session ends.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from fastapi import Request

from api.auth import AuthError, User, signing_key, verify_session
from api.deps import get_resources, signed_in
from api.errors import ApiError
from core.settings import Settings

SESSION_COOKIE = "frontdoor_session"


class SignInFirst(Exception):  # noqa: N818 - not an error: a browser to send to /sign-in
    """The page needs a signed-in member of staff; the browser is sent to /sign-in."""

    def __init__(self, wanted: str) -> None:
        super().__init__(wanted)
        self.wanted = wanted


def safe_next(path: str | None) -> str:
    """Where to go after signing in: a path on this site, or the workbench's home."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/work"
    return path


def sign_in_address(wanted: str) -> str:
    return f"/sign-in?next={quote(safe_next(wanted), safe='/')}"


def _settings(request: Request) -> Settings:
    return get_resources(request).settings


async def page_user(request: Request) -> User:
    """The signed-in member of staff (a dependency of every workbench page)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > 4096:
        raise SignInFirst(request.url.path)
    try:
        user = verify_session(_settings(request), cookie)
    except AuthError as err:
        raise SignInFirst(request.url.path) from err
    return await signed_in(request, user)


def csrf_token(request: Request) -> str:
    """This session's CSRF token (a page with forms puts it in each)."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    key = signing_key(_settings(request)).encode()
    return hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, sent: str | None) -> None:
    """403 unless the form carries this session's token."""
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token(request).encode()):
        raise ApiError(
            403, "forbidden", "this form has expired or came from another site; open it again"
        )
