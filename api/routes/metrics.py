"""`/metrics`: the API's Prometheus metrics (api/metrics.py, docs/operations.md). Unauthenticated,
as scrapers are: it holds route templates, counts and timings, never an id or a name; keep it off
the public side of the proxy."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.metrics import ApiMetrics

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, include_in_schema=True)
async def metrics(request: Request) -> Response:
    """The API's metrics, in Prometheus's text format."""
    registry: ApiMetrics = request.app.state.metrics
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
