"""The small HTTP endpoint the worker and the notifier answer probes on: `/healthz` (the process's
event loop answers), `/readyz` (it is doing its job, by the process's own check) and `/metrics`
(its Prometheus registry). GET only, no body read, one short answer per connection: enough for a
compose healthcheck, a Kubernetes probe and a Prometheus scrape, without a web framework."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from core.logs import get_logger

log = get_logger(__name__)

# None when ready; else what is wrong, in a line (the 503's body).
ReadinessCheck = Callable[[], Awaitable[str | None]]
_REQUEST_TIMEOUT = 5.0


class ProbeServer:
    """Answers `/healthz`, `/readyz` and `/metrics` on host:port while its context is open."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ready: ReadinessCheck,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._ready = ready
        self._registry = registry

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[ProbeServer]:
        try:
            server = await asyncio.start_server(self._answer, self.host, self.port)
        except OSError as err:
            # The process still does its job; its healthcheck failing says what is missing.
            log.warning("probes_unavailable", host=self.host, port=self.port, error=str(err))
            yield self
            return
        self.port = server.sockets[0].getsockname()[1]  # the port chosen, if 0 was asked
        log.info("probes_listening", url=f"http://{self.host}:{self.port}")
        try:
            yield self
        finally:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_REQUEST_TIMEOUT):
                request_line = (await reader.readline()).decode("latin-1").split()
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # the headers: nothing in them changes the answer
                status, kind, body = await self._route(request_line)
                head = (
                    f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                )
                writer.write(head.encode("latin-1") + body)
                await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _route(self, request_line: list[str]) -> tuple[str, str, bytes]:
        text = "text/plain; charset=utf-8"
        if len(request_line) < 2 or request_line[0] not in ("GET", "HEAD"):
            return "405 Method Not Allowed", text, b"GET only\n"
        path = request_line[1].split("?", 1)[0]
        if path == "/healthz":
            return "200 OK", text, b"ok\n"
        if path == "/readyz":
            try:
                problem = await self._ready()
            except Exception as err:  # a probe must answer, whatever its check raised
                problem = f"the readiness check failed ({type(err).__name__})"
            if problem is None:
                return "200 OK", text, b"ready\n"
            return "503 Service Unavailable", text, f"not ready: {problem}\n".encode()
        if path == "/metrics" and self._registry is not None:
            return "200 OK", CONTENT_TYPE_LATEST, generate_latest(self._registry)
        return "404 Not Found", text, b"not found: /healthz, /readyz, /metrics\n"
