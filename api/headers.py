"""Response headers that protect what the API sends: CORS for the codec alone (the Temporal Web
UI calls it from the browser; nothing else is meant to be read cross-origin), `no-store` on
every answer that is not a static asset (case JSON, task views and the dashboard must not sit in
a browser's or a proxy's cache), and the API docs served with Swagger UI from the package."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.routes.codec import dev_ui_origins
from core.logs import get_logger
from core.settings import Settings

log = get_logger(__name__)

CODEC_PREFIX = "/codec"
STATIC_PREFIX = "/static"


class CodecCors:
    """CORS headers (and preflight answers) on /codec only; every other route sends none, so a
    page on another origin cannot read a case even with a token it got hold of."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        origins = [settings.temporal_ui_url(), *settings.codec_cors_origins]
        if settings.codec_dev_ui and settings.dev_mode:
            origins += dev_ui_origins(settings)
            log.warning(
                "codec_open_to_dev_ui",
                origins=dev_ui_origins(settings),
                note="development only: /codec answers the embedded Temporal UI from the "
                "loopback without a token",
            )
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(dict.fromkeys(origins)),
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _under(scope["path"], CODEC_PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class NoStore:
    """`Cache-Control: no-store` on every answer but the static assets (which hold no personal
    data and may be cached), unless a route set its own; and `nosniff` everywhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = _under(scope["path"], STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not static and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def install_docs(app: FastAPI) -> None:
    """/docs with Swagger UI's script and style from api/static (vendored from swagger-ui-dist,
    pinned, with its licence), not from a CDN; create the app with `docs_url=None`."""
    app.mount(STATIC_PREFIX, StaticFiles(packages=[("api", "static")]), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{STATIC_PREFIX}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PREFIX}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PREFIX}/swagger-ui/favicon-32x32.png",
        )
