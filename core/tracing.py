"""Tracing, configured once per process: an OpenTelemetry tracer provider, so every span (an HTTP
request, the update it sends, the workflow task and the activities it runs) has a trace id that
the logs carry (core/logs.py), and Temporal's `TracingInterceptor` on the clients and workers,
which carries the trace across them in headers (trace context only: no payload, no personal
data). Spans are exported over OTLP/HTTP only when FRONTDOOR_OTEL_EXPORTER_ENDPOINT is set."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.contrib.opentelemetry import TracingInterceptor

from core.settings import Settings


def configure_tracing(settings: Settings, service: str) -> TracerProvider:
    """The process's tracer provider, set on first call (OpenTelemetry allows one per process)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": f"frontdoor-{service}"}))
    if settings.otel_exporter_endpoint is not None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_exporter_endpoint))
        )
    trace.set_tracer_provider(provider)
    return provider


def tracing_interceptor() -> TracingInterceptor:
    """For a client (and so the workers built on it): spans for starts, updates, queries,
    workflow tasks and activities, in the caller's trace."""
    return TracingInterceptor()
