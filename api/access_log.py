"""Every authenticated request to a case, a task, a list, the dashboard, the codec or the
performance pages is recorded in `access_event` before its answer leaves: who (user, roles,
agency), what (method, route, referral and task ids), when, the status, and from where. If the
record cannot be written, the answer is withheld (503): nothing is read unaudited. A request
that fails with an error is recorded too (status 500) before the error is answered. Personal
data never goes into it.

Where from: the connection's address, or the `X-Forwarded-For` a configured reverse proxy
(`FRONTDOOR_TRUSTED_PROXIES`) added; from anyone else that header is ignored, so a local process
cannot write someone else's address into the audit.

Also here: the filter that keeps credentials out of uvicorn's access log (query values named
token, code, ... are replaced), installed by the app.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

from fastapi import Request, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from api.auth import User
from api.errors import DATABASE_UNAVAILABLE, error_response
from core.logs import get_logger
from store.access_event import record_access

log = get_logger(__name__)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str, networks: Sequence[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request, proxies: Sequence[str]) -> str | None:
    """The address the request came from: the connection's, unless that is a trusted proxy, in
    which case the nearest address in `X-Forwarded-For` that is not one of the proxies."""
    peer = request.client.host if request.client else None
    networks = _networks(tuple(proxies))
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    forwarded = [
        hop.strip()
        for value in request.headers.getlist("x-forwarded-for")
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(forwarded):
        if not _trusted(hop, networks):
            return hop[:100]
    return peer


class AccessLog(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        try:
            response = await call_next(request)
        except Exception:
            # Answered 500 by the app's last handler, outside this middleware: recorded first.
            await self._record(request, 500)
            raise
        refusal = await self._record(request, response.status_code)
        return refusal or response

    async def _record(self, request: Request, status: int) -> Response | None:
        user: User | None = getattr(request.state, "user", None)
        if user is None:  # health checks, docs, and requests refused before anyone was known
            return None
        route = request.scope.get("route")
        params = request.path_params
        referrals = getattr(request.state, "referral_ids", None) or [
            _uuid(params.get("referral_id"))
        ]
        resources = request.app.state.resources
        try:
            async with resources.pool.acquire() as conn:
                for referral_id in referrals:
                    await record_access(
                        conn,
                        user_id=user.user_id,
                        roles=[role.value for role in user.roles],
                        agency=user.agency.value if user.agency else None,
                        method=request.method,
                        route=getattr(route, "path", request.url.path),
                        referral_id=referral_id,
                        task_id=_uuid(params.get("task_id")),
                        status=status,
                        client_ip=client_address(request, resources.settings.trusted_proxies),
                    )
        except DATABASE_UNAVAILABLE as err:
            log.warning("access_not_recorded", error_type=type(err).__name__)
            return error_response(
                503,
                "unavailable",
                "PostgreSQL is unavailable, so this request could not be recorded; try again",
                [{"part": "postgresql"}],
            )
        return None


SECRET_QUERY_NAMES = frozenset(
    {"token", "access_token", "id_token", "refresh_token", "code", "state", "client_secret"}
)


def redacted_path(path: str) -> str:
    """`path` with the values of credential-bearing query parameters replaced."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, "REDACTED" if k.lower() in SECRET_QUERY_NAMES else v) for k, v in pairs]
    return f"{base}?{urlencode(kept)}"


class RedactCredentials(logging.Filter):
    """On uvicorn's access log, whose records carry the path with its query as an argument
    (client, method, path, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redacted_path(args[2]), *args[3:])
        return True


def redact_uvicorn_access_log() -> None:
    """Install the filter once per process."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactCredentials) for f in access.filters):
        access.addFilter(RedactCredentials())
