"""Health checks: `/healthz` (the process is alive) and `/readyz` (its dependencies answer)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import PoolDep, TemporalDep
from api.errors import ErrorResponse, error_response

router = APIRouter(tags=["health"])

_CHECK_TIMEOUT = 3.0


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    postgresql: Literal["ok"] = "ok"
    temporal: Literal["ok"] = "ok"


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is alive."""
    return Health()


async def _check_postgresql(pool: PoolDep) -> str | None:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
    except TimeoutError:
        return f"did not answer within {_CHECK_TIMEOUT:.0f}s"
    except Exception as err:
        return f"unreachable ({type(err).__name__})"
    return None


async def _check_temporal(client: TemporalDep) -> str | None:
    try:
        healthy = await client.service_client.check_health(
            timeout=timedelta(seconds=_CHECK_TIMEOUT)
        )
    except Exception as err:
        return f"unreachable ({type(err).__name__})"
    return None if healthy else "reports itself unhealthy"


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": ErrorResponse, "description": "a dependency is down"}},
)
async def readyz(pool: PoolDep, client: TemporalDep) -> Readiness | JSONResponse:
    """PostgreSQL and Temporal both answer; otherwise 503 naming the part that does not."""
    pg_problem, temporal_problem = await asyncio.gather(
        _check_postgresql(pool), _check_temporal(client)
    )
    failing = [
        {"part": part, "problem": problem}
        for part, problem in (("postgresql", pg_problem), ("temporal", temporal_problem))
        if problem is not None
    ]
    if failing:
        names = " and ".join(item["part"] for item in failing)
        return error_response(503, "not_ready", f"not ready: {names} unavailable", failing)
    return Readiness()
