"""Limits on what callers send: a cap on request bodies, checked before the body is parsed (a
declared length over the cap is refused at once, a streamed body cut off as soon as it passes
the cap: 413), and per-caller rate limits (429 with Retry-After)."""

from __future__ import annotations

import math
import time
from uuid import UUID

import limits
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response


class _TooLargeError(StarletteHTTPException):
    """An HTTPException, so FastAPI passes it through body parsing to the 413 handler."""


class BodySizeLimit:
    """Pure ASGI middleware, so it sees the body before FastAPI reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLargeError(413, self._message())
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLargeError:
            if not started:
                await self._refuse(scope, receive, send)

    def _message(self) -> str:
        return f"the request body is over the {self.max_bytes // 1024} KiB limit"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "payload_too_large", self._message())
        await response(scope, receive, send)


class CallerLimits:
    """Per-caller rate limits, kept in this API process (moving windows in memory): enough to
    stop one caller flooding one case; each API process counts on its own."""

    def __init__(self, information: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._information = limits.parse_many(information)

    async def information(self, user_id: str, referral_id: UUID) -> None:
        """Count one item of new information from `user_id` on a case; 429 over the limit."""
        key = ("information", user_id, str(referral_id))
        for limit in self._information:
            if not await self._limiter.test(limit, *key):
                stats = await self._limiter.get_window_stats(limit, *key)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                raise ApiError(
                    429,
                    "rate_limited",
                    f"too much new information on this case from one caller (limit {limit}); "
                    f"try again in {wait} s",
                    headers={"Retry-After": str(wait)},
                )
        for limit in self._information:
            await self._limiter.hit(limit, *key)
