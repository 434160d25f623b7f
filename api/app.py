"""The FastAPI application: created by `create_app`, with the pool and Temporal client opened in
its lifespan (never at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api.access_log import AccessLog, redact_uvicorn_access_log
from api.deps import AppResources
from api.errors import install_error_handlers
from api.headers import CodecCors, NoStore, install_docs
from api.limits import BodySizeLimit, CallerLimits
from api.metrics import ApiMetrics, RequestMetrics
from api.routes import (
    audits,
    board_pack,
    codec,
    dashboard,
    health,
    links,
    metrics,
    network,
    people,
    performance,
    records,
    referrals,
    sign_in,
    subject_access,
    tasks,
)
from api.workbench.install import install_workbench
from core.converter import data_converter
from core.logs import get_logger
from core.sealing import record_sealer
from core.settings import Settings
from core.temporal import tls_config
from core.tracing import configure_tracing, tracing_interceptor
from store.pool import create_pool

log = get_logger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """The API app for `settings`; it needs a Temporal address and a database URL."""
    if settings.temporal_address is None or settings.database_url is None:
        raise RuntimeError(
            "the API needs FRONTDOOR_TEMPORAL_ADDRESS and FRONTDOOR_DATABASE_URL "
            "(or run `frontdoor dev`, which starts embedded servers)"
        )
    if not settings.dev_mode and settings.oidc_issuer is None:
        raise RuntimeError(
            "staff sign in through an identity provider: set FRONTDOOR_OIDC_ISSUER "
            "(or FRONTDOOR_DEV_MODE=true to accept `frontdoor token` tokens in development)"
        )
    temporal_address = settings.temporal_address
    database_url = settings.database_url
    # The case record's keys: without them the API could not read what it keeps, so it says so
    # at start rather than on the first read.
    sealer = record_sealer(settings)
    redact_uvicorn_access_log()
    measured = ApiMetrics()
    configure_tracing(settings, "api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Both connect lazily, so the API starts (and /readyz can say what is missing) even when
        # PostgreSQL or Temporal is down.
        pool = await create_pool(database_url, min_size=0)
        client = await Client.connect(
            temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=data_converter(settings),
            tls=tls_config(settings),
            lazy=True,
            interceptors=[measured.interceptor(), tracing_interceptor()],
        )
        measured.watch_pool(pool)
        app.state.resources = AppResources(
            settings=settings,
            pool=pool,
            temporal=client,
            sealer=sealer,
            limits=CallerLimits(information=settings.information_rate_limit),
        )
        log.info("api_started", url=settings.api_url())
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Front Door",
        summary="A children's safeguarding front door: referrals, tasks, deadlines, escalation.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from the package
        redoc_url=None,
    )
    app.state.metrics = measured
    install_error_handlers(app)
    app.add_middleware(AccessLog)
    app.add_middleware(NoStore)
    # The Temporal Web UI calls /codec from the browser, passing the engineer's access token.
    app.add_middleware(CodecCors, settings=settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=measured)  # outermost: it times all of the above
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(referrals.router)
    app.include_router(records.router)
    app.include_router(people.router)
    app.include_router(links.router)
    app.include_router(network.router)
    app.include_router(subject_access.router)
    app.include_router(tasks.router)
    app.include_router(performance.router)
    app.include_router(audits.router)
    app.include_router(board_pack.router)
    app.include_router(dashboard.router)
    app.include_router(sign_in.router)
    app.include_router(codec.router)
    install_workbench(app)
    install_docs(app)
    return app
