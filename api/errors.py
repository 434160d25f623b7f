"""The project's one error shape, `{"error": {"code", "message", "details"}}`, for every error the
API returns, whether raised by a route, by request validation, or by Starlette itself."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

from core.logs import get_logger

# What asyncpg raises when the server is down or unreachable (as opposed to a bad query).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.ConnectionDoesNotExistError,
    ConnectionError,
    OSError,
)

log = get_logger(__name__)


class ErrorBody(BaseModel):
    """What went wrong, in words a member of staff can act on."""

    code: str
    message: str
    details: list[dict[str, Any]] = []


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


class ApiError(Exception):
    """An error a route raises on purpose; rendered in the one error shape."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


def error_response(
    status_code: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or []))
    return JSONResponse(status_code=status_code, content=body.model_dump(mode="json"))


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _on_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    response = error_response(exc.status_code, exc.code, exc.message, exc.details)
    response.headers.update(exc.headers)
    return response


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": _field_path(err.get("loc", ())), "problem": err.get("msg", "is invalid")}
        for err in exc.errors()
    ]
    fields = ", ".join(sorted({d["field"] for d in details}))
    return error_response(
        422, "invalid_request", f"the request is invalid: check {fields}", details
    )


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    response = error_response(exc.status_code, code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _temporal_unavailable() -> JSONResponse:
    return error_response(
        503,
        "unavailable",
        "Temporal is unavailable; nothing was changed, try again shortly",
        [{"part": "temporal"}],
    )


async def _on_temporal_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RPCError)
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return _temporal_unavailable()
    return await _on_unexpected(request, exc)


async def _on_runtime_error(request: Request, exc: Exception) -> JSONResponse:
    # A lazily connected client reports a server it cannot reach as a RuntimeError.
    if "client connect" in str(exc).lower():
        return _temporal_unavailable()
    return await _on_unexpected(request, exc)


async def _on_database_error(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("postgresql_unavailable", error_type=type(exc).__name__)
    return error_response(
        503,
        "unavailable",
        "PostgreSQL is unavailable; nothing was changed, try again shortly",
        [{"part": "postgresql"}],
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return error_response(500, "internal_error", "something went wrong on our side; it was logged")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app can produce use the one shape."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RPCError, _on_temporal_error)
    app.add_exception_handler(RuntimeError, _on_runtime_error)
    for database_error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(database_error, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
