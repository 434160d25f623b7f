"""Putting the workbench into the app: its page routers and its two page-level answers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from api.workbench import case_page, inbox, intake, managers, task_pages
from api.workbench.calls import RefusedError
from api.workbench.render import HEADERS, refused
from api.workbench.session import SignInFirst, sign_in_address


async def _sign_in_first(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInFirst)
    return RedirectResponse(sign_in_address(exc.wanted), status_code=303, headers=HEADERS)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RefusedError)
    return refused(request, getattr(request.state, "user", None), exc)


def install_workbench(app: FastAPI) -> None:
    """The workbench's pages and its two page-level answers (sign in first; refused)."""
    app.add_exception_handler(SignInFirst, _sign_in_first)
    app.add_exception_handler(RefusedError, _refused)
    for module in (inbox, intake, task_pages, case_page, managers):
        app.include_router(module.router)
