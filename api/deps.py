"""The dependencies routes declare, each defined once: what the app's lifespan created (the pool,
the Temporal client, the settings), the caller and their roles, the request's shared parameters
(task id, Idempotency-Key, a report's period) and the task the caller may act on."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.auth import AuthError, StaffRole, User, verify_token
from api.errors import ApiError
from api.limits import CallerLimits
from api.staff import StaffSightings
from core.sealing import RecordSealer
from core.settings import Settings
from domain.calendar import LONDON
from domain.measures import MAX_PERIOD_DAYS, Period
from store import task as task_store
from store.performance.scope import Scope
from store.task import InboxTask


@dataclass
class AppResources:
    """What the lifespan opens and closes; routes reach it only through the dependencies below."""

    settings: Settings
    pool: asyncpg.Pool
    temporal: Client
    sealer: RecordSealer
    limits: CallerLimits
    sightings: StaffSightings = dataclasses.field(default_factory=StaffSightings)


# Dependencies are coroutines: FastAPI runs a plain function dependency in a worker thread, a
# hand-off that cost more than the work in these.
def get_resources(request: Request) -> AppResources:
    resources: AppResources = request.app.state.resources
    return resources


async def get_pool(request: Request) -> asyncpg.Pool:
    return get_resources(request).pool


async def get_temporal(request: Request) -> Client:
    return get_resources(request).temporal


async def get_app_settings(request: Request) -> Settings:
    return get_resources(request).settings


async def get_workflow_deadline(request: Request) -> float:
    return get_resources(request).settings.api_workflow_deadline_seconds


async def get_sealer(request: Request) -> RecordSealer:
    return get_resources(request).sealer


async def get_limits(request: Request) -> CallerLimits:
    return get_resources(request).limits


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
SealerDep = Annotated[RecordSealer, Depends(get_sealer)]
LimitsDep = Annotated[CallerLimits, Depends(get_limits)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# Seconds a call on a case's workflow may wait before the API answers 503 (api/cases.py).
WorkflowDeadline = Annotated[float, Depends(get_workflow_deadline)]


_bearer = HTTPBearer(auto_error=False, description="A staff token from `frontdoor token`")
# The ASGI scope key under which the workbench's in-process calls carry the member of staff its
# session verified (api/workbench/calls.py). Only code in this process can set a scope key.
WORKBENCH_USER = "frontdoor.workbench_user"


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The caller, from `Authorization: Bearer <token>` (or the workbench's own in-process call);
    401 without a valid token."""
    workbench_user = request.scope.get(WORKBENCH_USER)
    if isinstance(workbench_user, User):
        return await signed_in(request, workbench_user)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "unauthenticated",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return await authenticated(request, credentials.credentials)


async def authenticated(request: Request, token: str) -> User:
    """The user `token` names (401 otherwise), noted for the access log and in `staff`."""
    resources = get_resources(request)
    settings = resources.settings
    try:
        if settings.oidc_issuer is None:  # development tokens only: a computation
            user = verify_token(settings, token)
        else:  # may fetch the issuer's key set
            user = await asyncio.to_thread(verify_token, settings, token)
    except AuthError as err:
        raise ApiError(
            401, "unauthenticated", str(err), headers={"WWW-Authenticate": "Bearer"}
        ) from err
    return await signed_in(request, user)


async def signed_in(request: Request, user: User) -> User:
    """Note who is calling: for the access log, and in `staff` (assignment reads it)."""
    request.state.user = user
    resources = get_resources(request)
    await resources.sightings.saw(resources.pool, user)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: StaffRole) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets in only users holding one of `roles` (403 otherwise)."""
    allowed = ", ".join(role.value for role in roles)

    async def check(user: CurrentUser) -> User:
        if not user.has(*roles):
            raise ApiError(403, "forbidden", f"this needs one of the roles: {allowed}")
        return user

    return check


Staff = Annotated[
    User, Depends(require(StaffRole.practitioner, StaffRole.manager, StaffRole.agency))
]
"""Anyone who works cases: council practitioners and managers, and partner agencies."""
IntakeStaff = Annotated[User, Depends(require(StaffRole.practitioner, StaffRole.manager))]
"""The council's own staff, who take referrals in and see whole cases."""
Manager = Annotated[User, Depends(require(StaffRole.manager))]
RecordsStaff = Annotated[User, Depends(require(StaffRole.manager, StaffRole.records_officer))]
"""Managers and records officers, who answer subject access requests."""
Engineer = Annotated[User, Depends(require(StaffRole.engineer))]
Auditing = Annotated[User, Depends(require(StaffRole.auditor, StaffRole.manager))]
"""Auditors and managers, who audit closed cases (never one they worked)."""
LearningStaff = Annotated[
    User, Depends(require(StaffRole.auditor, StaffRole.manager, StaffRole.practitioner))
]
"""Those who own and close an audit's learning actions."""
Overseeing = Annotated[User, Depends(require(StaffRole.manager, StaffRole.oversight))]
"""Managers and the executive oversight group: aggregates, never a child's details."""


IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Required. A retry with the same key returns the first answer.",
    ),
]
OptionalIdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$"),
]
TaskId = Annotated[UUID, Path(description="the task's id")]


# ---- the task the caller may act on ---------------------------------------------------------

TaskRule = Callable[[User, InboxTask], ApiError | None]
"""Why `user` may not act on `task` (a 403), or None when they may."""


def _another_team(task: InboxTask) -> ApiError:
    return ApiError(403, "forbidden", f"task {task.task_id} belongs to another team ({task.team})")


def may_view(user: User, task: InboxTask) -> ApiError | None:
    """Its team, and managers, may see a task."""
    if task.team in user.teams or user.has(StaffRole.manager):
        return None
    return _another_team(task)


def may_work(user: User, task: InboxTask) -> ApiError | None:
    """Only its team may claim or complete a task (a manager gives it to someone instead)."""
    return None if task.team in user.teams else _another_team(task)


def may_complete(user: User, task: InboxTask) -> ApiError | None:
    """Its team may complete an unheld task; a held one only its holder, or a manager."""
    refusal = may_work(user, task)
    if refusal is not None or task.assignee in (None, user.user_id):
        return refusal
    if user.has(StaffRole.manager):
        return None
    return ApiError(
        403,
        "forbidden",
        f"task {task.task_id} is held by {task.assignee}; only they or a manager can complete it",
        [{"assignee": task.assignee}],
    )


def may_release(user: User, task: InboxTask) -> ApiError | None:
    """Its holder, or a manager, may give a task back; an unheld one only its team."""
    if user.has(StaffRole.manager) or task.assignee == user.user_id:
        return None
    if task.assignee is not None:
        return ApiError(
            403,
            "forbidden",
            f"task {task.task_id} is held by {task.assignee}; "
            "only they or a manager can release it",
            [{"assignee": task.assignee}],
        )
    return may_work(user, task)


def task_the_caller_may(rule: TaskRule) -> Callable[..., Awaitable[InboxTask]]:
    """A dependency handing a route the task of its path, if the caller may act on it under
    `rule`: 404 if there is no such task, 403 if it is not theirs to act on."""

    async def actionable_task(task_id: TaskId, user: Staff, pool: PoolDep) -> InboxTask:
        async with pool.acquire() as conn:
            task = await task_store.get_task(conn, task_id)
        if task is None:
            raise ApiError(404, "not_found", f"task {task_id} was not found")
        refusal = rule(user, task)
        if refusal is not None:
            raise refusal
        return task

    return actionable_task


VisibleTask = Annotated[InboxTask, Depends(task_the_caller_may(may_view))]
ActionableTask = Annotated[InboxTask, Depends(task_the_caller_may(may_work))]
CompletableTask = Annotated[InboxTask, Depends(task_the_caller_may(may_complete))]
ReleasableTask = Annotated[InboxTask, Depends(task_the_caller_may(may_release))]


# ---- a performance report's period and team (`GET /performance`, `GET /dashboard`) ----------

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
TEAM_PATTERN = r"^[a-z0-9][a-z0-9_.:-]{0,99}$"
"""Team names are codes (front_door_practitioners, agency:police), never a person's name."""


def _invalid(field: str, problem: str) -> ApiError:
    return ApiError(
        422,
        "invalid_request",
        f"the request is invalid: {field} {problem}",
        [{"field": field, "problem": problem}],
    )


async def report_scope(
    from_: Annotated[
        date | None,
        Query(alias="from", description="first day (London), default 12 weeks before `to`'s week"),
    ] = None,
    to: Annotated[date | None, Query(description="last day (London), default today")] = None,
    team: Annotated[
        str | None,
        Query(pattern=TEAM_PATTERN, description="only cases (and overdue tasks) of this team"),
    ] = None,
) -> Scope:
    """The period and team a report covers, checked: from <= to, at most about five years."""
    now = datetime.now(UTC)
    for field, value in (("from", from_), ("to", to)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise _invalid(field, f"must be between {EARLIEST} and {LATEST}")
    end = to or now.astimezone(LONDON).date()
    start = from_ or Period.default(end).start
    if start > end:
        raise _invalid("from", "must be on or before to")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise _invalid("to", f"must be at most {MAX_PERIOD_DAYS} days after from")
    return Scope(period=Period(start, end), team=team, now=now)


ReportScope = Annotated[Scope, Depends(report_scope)]
