"""The API's Prometheus metrics (named in docs/operations.md): requests by route template, method
and status, their latency, the latency of its calls on case workflows (queries, updates, intake),
and the database pool's use. One registry per app, made in `create_app`, served at `/metrics`.

Labels are route templates (`/tasks/{task_id}/complete`), never a path with ids in it: a case's
id in a label would be one series per case and would tell the scraper who is being worked on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from opentelemetry import trace
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import (
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowUpdateHandle,
)

_UNMATCHED = "unmatched"  # a path no route serves (404s), so scanners add no series


class ApiMetrics:
    """The app's registry and the metrics in it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "frontdoor_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "frontdoor_http_request_duration_seconds",
            "time to answer an HTTP request, by route template and method",
            ["route", "method"],
            registry=self.registry,
        )
        self.temporal = Histogram(
            "frontdoor_temporal_call_duration_seconds",
            "time of the API's calls on case workflows, by call and outcome",
            ["call", "outcome"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60),
            registry=self.registry,
        )
        self.pool = Gauge(
            "frontdoor_db_pool_connections",
            "the API's PostgreSQL pool: connections in use, idle, and the most it opens",
            ["state"],
            registry=self.registry,
        )

    def watch_pool(self, pool: asyncpg.Pool) -> None:
        """Read the pool's use at each scrape."""
        self.pool.labels("in_use").set_function(lambda: pool.get_size() - pool.get_idle_size())
        self.pool.labels("idle").set_function(pool.get_idle_size)
        self.pool.labels("max").set_function(pool.get_max_size)

    @contextmanager
    def timed_call(self, call: str) -> Iterator[None]:
        started = time.perf_counter()
        outcome = "error"
        try:
            yield
            outcome = "ok"
        except BaseException as err:
            if isinstance(err, TimeoutError) or type(err).__name__ == "CancelledError":
                outcome = "timeout"  # the API's deadline cut it short
            raise
        finally:
            self.temporal.labels(call, outcome).observe(time.perf_counter() - started)

    def interceptor(self) -> Interceptor:
        """A Temporal client interceptor timing the API's workflow calls."""
        return _TimingInterceptor(self)


class _TimingInterceptor(Interceptor):
    def __init__(self, metrics: ApiMetrics) -> None:
        self._metrics = metrics

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _TimedCalls(next, self._metrics)


class _TimedCalls(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, metrics: ApiMetrics) -> None:
        super().__init__(next)
        self._metrics = metrics

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        with self._metrics.timed_call("query"):
            return await super().query_workflow(input)

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        with self._metrics.timed_call("update"):
            return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        with self._metrics.timed_call("intake"):
            return await super().start_update_with_start_workflow(input)


class RequestMetrics:
    """ASGI middleware counting and timing every HTTP request by its route template, inside a
    span of its own (core/tracing.py): the request's log lines and the workflow calls it makes
    share its trace id."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before it answers

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        method = scope.get("method", "GET")
        tracer = trace.get_tracer("frontdoor.api")
        with tracer.start_as_current_span(f"HTTP {method}", kind=trace.SpanKind.SERVER) as span:
            try:
                await self.app(scope, receive, sending)
            finally:
                route = getattr(scope.get("route"), "path", _UNMATCHED)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                self.metrics.requests.labels(route, method, str(status)).inc()
                self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)
