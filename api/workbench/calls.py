"""The workbench calls the API's own routes, in process, as the signed-in member of staff: it is
a client of the same routes and rules (validation, who may do what, idempotency, the audit
trail), never a second set of them.

The call goes through the app itself (httpx's ASGI transport) with the verified user placed in
the request's ASGI scope under `WORKBENCH_USER`, which `api.deps.current_user` accepts. Only code
in this process can put anything in a scope: no header, cookie or address can.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import User
from api.deps import WORKBENCH_USER


class RefusedError(Exception):
    """The API refused the call: its status and its one error shape."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retry_after: str | None = None


class _AsUser:
    def __init__(self, app: ASGIApp, user: User) -> None:
        self._app = app
        self._user = user

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app({**scope, WORKBENCH_USER: self._user}, receive, send)


class Api:
    """The API's routes as `user`. Answers are the routes' JSON; refusals raise RefusedError."""

    def __init__(self, request: Request, user: User) -> None:
        self._app: ASGIApp = request.app
        self._user = user

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        key: str | None = None,
    ) -> Any:
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        transport = httpx.ASGITransport(app=_AsUser(self._app, self._user))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://workbench.internal", timeout=120
        ) as client:
            answer = await client.request(
                method,
                path,
                params={k: v for k, v in (params or {}).items() if v is not None},
                json=body,
                headers=headers,
            )
        if answer.status_code >= 400:
            raise _problem(answer)
        if answer.status_code == 204 or not answer.content:
            return None
        if "json" not in answer.headers.get("content-type", ""):
            return answer.text
        return answer.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, body: Any = None, *, key: str | None = None) -> Any:
        return await self.call("POST", path, body=body, key=key)


def _problem(answer: httpx.Response) -> RefusedError:
    try:
        error = answer.json()["error"]
        problem = RefusedError(
            answer.status_code,
            str(error.get("code", "error")),
            str(error.get("message", "")),
            list(error.get("details") or []),
        )
    except (ValueError, KeyError, TypeError):
        problem = RefusedError(answer.status_code, "error", answer.text[:500], [])
    problem.retry_after = answer.headers.get("retry-after")
    return problem
