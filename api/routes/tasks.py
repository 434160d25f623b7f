"""Routes for the task inbox: list, view, claim, release, assign and complete tasks.

The inbox (PostgreSQL) says which tasks exist, who owns them and who holds them; completing a
task is the workflow's business, through its `complete_task` Update. A task belongs to its team:
partners see and work on their own agency's tasks only, and see of the case only what the check
needs (the child's identifying details and the concern).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request

from api.auth import StaffRole, User
from api.cases import case_handle, live_state, on_case
from api.deps import (
    ActionableTask,
    CompletableTask,
    IdempotencyKey,
    Manager,
    PoolDep,
    ReleasableTask,
    SealerDep,
    Staff,
    TaskId,
    TemporalDep,
    VisibleTask,
    WorkflowDeadline,
)
from api.errors import ApiError, ErrorResponse
from api.household import household_for_partner
from api.idempotency import KeyedWrite, caller_tag, fingerprint_of
from api.linked import with_screening_prompts
from api.models.people import HouseholdPerson, PartnerCheckDetail, TaskDetailWithHousehold
from api.models.tasks import (
    AssignTask,
    ChildDetails,
    CompleteTask,
    SiblingCase,
    StaffTaskDetail,
    TaskCompleted,
    TaskPage,
    TaskRow,
)
from api.record import case_view_on, intake_of
from core.logs import get_logger
from domain.referral import ReferralDetails
from domain.tasks import (
    Agency,
    CompleteTaskInput,
    TaskKind,
    TaskStatus,
    Team,
    agency_team,
)
from store import staff as staff_store
from store import task as task_store
from store.person import sibling_cases
from store.task import InboxFilter, InboxTask
from workflows.referral import ReferralWorkflow

log = get_logger(__name__)
router = APIRouter(
    prefix="/tasks",
    tags=["tasks"],
    responses={
        401: {"model": ErrorResponse, "description": "no token, or a bad one"},
        403: {"model": ErrorResponse, "description": "not a task of the caller's team"},
        422: {"model": ErrorResponse, "description": "the request is invalid"},
        503: {"model": ErrorResponse, "description": "PostgreSQL or Temporal is unavailable"},
    },
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "no such task"}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "the task is not open, or is held"}
}

_COUNCIL_TEAMS = [team.value for team in Team]


def _row(task: InboxTask) -> TaskRow:
    return TaskRow.model_validate(task, from_attributes=True)


def _visible_teams(user: User) -> list[str] | None:
    """The teams whose tasks `user` may list; None for every team (managers)."""
    if user.has(StaffRole.manager):
        return None
    teams: set[str] = set()
    if user.has(StaffRole.practitioner):
        teams.update(_COUNCIL_TEAMS)
    if user.has(StaffRole.agency) and user.agency is not None:
        teams.add(agency_team(user.agency))
    return sorted(teams)


def _partner_detail(
    task: InboxTask, details: ReferralDetails, household: list[HouseholdPerson]
) -> PartnerCheckDetail:
    """What a partner agency sees of a case: the child's identifying details and the concern,
    and on an agency check the household members' names, dates of birth and addresses."""
    child = details.child
    return PartnerCheckDetail(
        task=_row(task),
        child=ChildDetails(
            name=child.name,
            date_of_birth=child.date_of_birth,
            expected_due_date=child.expected_due_date,
            address=child.address,
            nhs_number=child.nhs_number,
        ),
        concern=details.concern,
        household=household if task.kind is TaskKind.agency_check else [],
    )


def _check_result_kind(task: InboxTask, body: CompleteTask) -> None:
    """422 when the result given is for another kind of task than this one."""
    if body.result.kind == task.kind.value:
        return
    message = (
        f"task {task.task_id} is a {task.kind.value} task; "
        f"the result given is for a {body.result.kind} task"
    )
    raise ApiError(422, "invalid_request", message, [{"field": "result.kind", "problem": message}])


async def _explain_not_open_or_held(pool: PoolDep, task_id: UUID) -> ApiError:
    """Why a guarded update of the task's holder changed nothing, read after it."""
    async with pool.acquire() as conn:
        task = await task_store.get_task(conn, task_id)
    if task is None:
        return ApiError(404, "not_found", f"task {task_id} was not found")
    if not task.is_open:
        return ApiError(409, "conflict", f"task {task_id} is already {task.status.value}")
    if task.assignee is not None:
        return ApiError(
            409,
            "conflict",
            f"task {task_id} is held by {task.assignee}",
            [{"assignee": task.assignee}],
        )
    return ApiError(409, "conflict", f"task {task_id} changed meanwhile; try again")


async def _case_closed(pool: PoolDep, task_id: UUID) -> ApiError:
    """The answer to a completion whose workflow no longer runs, with the task's last status."""
    async with pool.acquire() as conn:
        task = await task_store.get_task(conn, task_id)
    if task is None or task.is_open:
        return ApiError(409, "conflict", f"the case of task {task_id} is closed")
    return ApiError(
        409, "conflict", f"task {task_id} is already {task.status.value}; the case is closed"
    )


@router.get("", response_model=TaskPage)
async def list_tasks(
    user: Staff,
    pool: PoolDep,
    kind: TaskKind | None = None,
    agency: Agency | None = None,
    status: TaskStatus = TaskStatus.open,
    assignee: Annotated[
        Literal["me"] | None, Query(description="`me`: only tasks the caller holds")
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="open and past their due time (or not)")
    ] = None,
    sort: Annotated[
        Literal["due", "urgent"],
        Query(description="`due`: earliest due first; `urgent`: overdue, then escalated, first"),
    ] = "due",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TaskPage:
    """The inbox, earliest due first (or, with `sort=urgent`, the overdue first, then the most
    escalated, each by due time). Partners see only their own agency's tasks, practitioners the
    council teams' tasks, managers every task."""
    where = InboxFilter(
        teams=_visible_teams(user),
        kind=kind,
        agency=agency,
        status=status,
        assignee=user.user_id if assignee == "me" else None,
        overdue=overdue,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    async with pool.acquire() as conn:
        tasks = await task_store.list_tasks(conn, where)
    return TaskPage(items=[_row(task) for task in tasks], limit=limit, offset=offset)


@router.get("/{task_id}", response_model=TaskDetailWithHousehold, responses=_NOT_FOUND)
async def get_task(
    task: VisibleTask,
    request: Request,
    user: Staff,
    pool: PoolDep,
    client: TemporalDep,
    sealer: SealerDep,
    deadline: WorkflowDeadline,
) -> PartnerCheckDetail | StaffTaskDetail:
    """One task with what its owner needs to do it: for partners, the child's identifying
    details and the concern only (and on an agency check, the household's names, dates of birth
    and addresses, each read recorded in the person access audit); for council staff, the live
    case and the intake, and on a screening task the children linked to what the contact names
    (`linked_children`, each case shown recorded in the access audit) and the exploitation
    indicators its concern mentions (`exploitation_prompts`)."""
    if user.is_partner:
        details = await intake_of(pool, sealer, task.referral_id)
        household = (
            []
            if task.kind is not TaskKind.agency_check
            else (await household_for_partner(pool, user, task, details))
        )
        return _partner_detail(task, details, household)
    live = await live_state(client, task.referral_id, deadline=deadline)
    async with pool.acquire() as conn:
        case = await case_view_on(conn, sealer, task.referral_id, live)
        siblings = await sibling_cases(conn, task.referral_id)
    assert case.intake is not None  # every case's record opens with its intake
    detail = StaffTaskDetail(
        task=_row(task),
        case=case,
        intake=case.intake,
        siblings=[
            SiblingCase(referral_id=s.referral_id, person_id=s.person_id, stage=s.stage)
            for s in siblings
        ],
    )
    if task.kind is TaskKind.screening:
        await with_screening_prompts(request, pool, sealer, detail)
    return detail


@router.post("/{task_id}/claim", response_model=TaskRow, responses={**_NOT_FOUND, **_CONFLICT})
async def claim_task(task: ActionableTask, user: Staff, pool: PoolDep) -> TaskRow:
    """Take an open task of your team; 409 naming the holder if someone else has it."""
    async with pool.acquire() as conn:
        claimed = await task_store.claim_task(conn, task.task_id, user.user_id)
    if claimed is None:
        raise await _explain_not_open_or_held(pool, task.task_id)
    log.info("task_claimed", task_id=str(task.task_id), referral_id=str(claimed.referral_id))
    return _row(claimed)


@router.post("/{task_id}/release", response_model=TaskRow, responses={**_NOT_FOUND, **_CONFLICT})
async def release_task(task: ReleasableTask, user: Staff, pool: PoolDep) -> TaskRow:
    """Give back a task you hold (a manager may release anyone's); it returns to the team."""
    holder = None if user.has(StaffRole.manager) else user.user_id
    async with pool.acquire() as conn:
        released = await task_store.release_task(conn, task.task_id, holder)
    if released is None:
        raise await _explain_not_open_or_held(pool, task.task_id)
    log.info("task_released", task_id=str(task.task_id), referral_id=str(released.referral_id))
    return _row(released)


def _not_assignable(user_id: str, problem: str) -> ApiError:
    return ApiError(
        422,
        "invalid_request",
        f"the task cannot be given to {user_id}: {problem}",
        [{"field": "user_id", "problem": problem}],
    )


@router.post("/{task_id}/assign", response_model=TaskRow, responses={**_NOT_FOUND, **_CONFLICT})
async def assign_task(task_id: TaskId, body: AssignTask, user: Manager, pool: PoolDep) -> TaskRow:
    """Give an open task to a member of staff of the task's team who has signed in before
    (managers only); 422 naming `user_id` for anyone else."""
    async with pool.acquire() as conn:
        task = await task_store.get_task(conn, task_id)
        if task is None:
            raise ApiError(404, "not_found", f"task {task_id} was not found")
        if not task.is_open:
            raise ApiError(409, "conflict", f"task {task_id} is already {task.status.value}")
        member = await staff_store.get_staff(conn, body.user_id)
        if member is None:
            raise _not_assignable(body.user_id, "not a member of staff who has signed in")
        if task.team not in member.teams:
            raise _not_assignable(body.user_id, f"not in the task's team ({task.team})")
        assigned = await task_store.assign_task(conn, task_id, body.user_id)
    if assigned is None:
        raise await _explain_not_open_or_held(pool, task_id)
    log.info("task_assigned", task_id=str(task_id), referral_id=str(assigned.referral_id))
    return _row(assigned)


@router.post(
    "/{task_id}/complete", response_model=TaskCompleted, responses={**_NOT_FOUND, **_CONFLICT}
)
async def complete_task(
    task: CompletableTask,
    body: CompleteTask,
    idempotency_key: IdempotencyKey,
    user: Staff,
    pool: PoolDep,
    client: TemporalDep,
    deadline: WorkflowDeadline,
) -> TaskCompleted:
    """Record what was done and move the case on. Its holder, or a manager, completes a held
    task. The Idempotency-Key names the caller's submission: a retry with the same key and body
    returns the first answer and changes nothing; the same key with another body is a 422."""
    task_id = task.task_id
    _check_result_kind(task, body)
    keyed = KeyedWrite(
        pool, f"complete/{task_id}", user, idempotency_key, fingerprint_of(body.result)
    )
    await keyed.claim()
    # Not refused here when the inbox shows the task closed: a retry of the completion that
    # closed it must still get its first answer, which only the workflow holds.
    try:
        outcome = await on_case(
            task.referral_id,
            case_handle(client, task.referral_id).execute_update(
                ReferralWorkflow.complete_task,
                CompleteTaskInput(task_id=str(task_id), actor=user.user_id, result=body.result),
                id=f"complete/{task_id}/{caller_tag(user)}/{idempotency_key}",
            ),
            deadline=deadline,
        )
    except ApiError as err:
        if err.status_code in (409, 422) and err.code != "case_closed":
            await keyed.release()  # refused by the validator: nothing was applied
        if err.code != "case_closed":
            raise
        # The workflow no longer runs: say what became of the task (a retry of the completion
        # that closed the case is answered by Temporal above, from history).
        raise await _case_closed(pool, task_id) from err
    log.info(
        "task_completed",
        task_id=str(task_id),
        referral_id=str(task.referral_id),
        task_kind=task.kind.value,
        stage=outcome.stage.value,
    )
    return TaskCompleted(
        task_id=task_id,
        stage=outcome.stage,
        opened_task_ids=[UUID(opened) for opened in outcome.opened_task_ids],
        opened_tasks=outcome.opened_tasks,
    )
