"""Putting the workbench into the app: its page routers and its two page-level answers."""

from __future__ import annotations

import inspect

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import User
from api.workbench import case_page, inbox, intake, managers, task_pages
from api.workbench.calls import RefusedError
from api.workbench.render import HEADERS, refused
from api.workbench.session import SignInFirst, page_user, sign_in_address


async def _sign_in_first(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInFirst)
    return RedirectResponse(sign_in_address(exc.wanted), status_code=303, headers=HEADERS)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RefusedError)
    return refused(request, getattr(request.state, "user", None), exc)


def _pages_not_found(app: FastAPI) -> None:
    """A page under /work that does not exist (or a method it does not take) is a GOV.UK page
    saying so; every other address keeps the API's one error shape."""
    api_answer = app.exception_handlers[StarletteHTTPException]

    async def answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not request.url.path.startswith("/work"):
            answered = api_answer(request, exc)
            return await answered if inspect.isawaitable(answered) else answered
        text = "Page not found" if exc.status_code == 404 else "This page cannot do that"
        problem = RefusedError(exc.status_code, "not_found", text, [])
        return refused(request, await _signed_in_or_none(request), problem)

    app.add_exception_handler(StarletteHTTPException, answer)


async def _signed_in_or_none(request: Request) -> User | None:
    try:
        return await page_user(request)
    except SignInFirst:
        return None


def install_workbench(app: FastAPI) -> None:
    """The workbench's pages and its page-level answers (sign in first; refused; not found).
    Call it after the API's error handlers are installed."""
    app.add_exception_handler(SignInFirst, _sign_in_first)
    app.add_exception_handler(RefusedError, _refused)
    _pages_not_found(app)
    for module in (inbox, intake, task_pages, case_page, managers):
        app.include_router(module.router)
