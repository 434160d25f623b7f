"""Every authenticated request to a case, a task, a list or the performance pages is recorded
in `access_event` before its answer leaves: who (user, roles, agency), what (method, route,
referral and task ids), when, the status, and from where. If the record cannot be written, the
answer is withheld (503): nothing is read unaudited. Personal data never goes into it."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from api.auth import User
from api.errors import DATABASE_UNAVAILABLE, error_response
from core.logs import get_logger
from store.access_event import record_access

log = get_logger(__name__)


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None


class AccessLog(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        user: User | None = getattr(request.state, "user", None)
        if user is None:  # health checks, docs, and requests refused before anyone was known
            return response
        route = request.scope.get("route")
        params = request.path_params
        try:
            pool = request.app.state.resources.pool
            async with pool.acquire() as conn:
                await record_access(
                    conn,
                    user_id=user.user_id,
                    roles=[role.value for role in user.roles],
                    agency=user.agency.value if user.agency else None,
                    method=request.method,
                    route=getattr(route, "path", request.url.path),
                    referral_id=_uuid(params.get("referral_id")),
                    task_id=_uuid(params.get("task_id")),
                    status=response.status_code,
                    client_ip=request.client.host if request.client else None,
                )
        except DATABASE_UNAVAILABLE as err:
            log.warning("access_not_recorded", error_type=type(err).__name__)
            return error_response(
                503,
                "unavailable",
                "PostgreSQL is unavailable, so this request could not be recorded; try again",
                [{"part": "postgresql"}],
            )
        return response
