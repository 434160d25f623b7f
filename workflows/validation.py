"""Checks a completion must pass before anything is written: the Update's validator runs them
and the member of staff gets the reason at once. Pure: it reads the case, never changes it."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseState, Milestone, TaskView
    from domain.referral import ReferralDetails
    from domain.tasks import (
        CompleteTaskInput,
        DecisionResult,
        StrategyDiscussionResult,
        TaskStatus,
        VisitResult,
    )

# Clocks on staff devices drift; a minute's grace stops honest entries being refused.
_CLOCK_GRACE = timedelta(minutes=1)


# Failure types the API maps to answers: a task no longer open is a conflict (409); a result that
# cannot apply is invalid input (422).
TASK_NOT_OPEN = "TaskNotOpen"
COMPLETION_REJECTED = "CompletionRejected"


def task_not_open(task: TaskView) -> ApplicationError:
    return ApplicationError(
        f"task {task.task_id} is already {task.status.value}",
        type=TASK_NOT_OPEN,
        non_retryable=True,
    )


CASE_CLOSED = "CaseClosed"


def rejected(message: str) -> ApplicationError:
    """A completion that must not be applied; the message says why, for the member of staff."""
    return ApplicationError(message, type=COMPLETION_REJECTED, non_retryable=True)


def case_closed(message: str) -> ApplicationError:
    """A request that came after the case closed (a conflict, not bad input)."""
    return ApplicationError(message, type=CASE_CLOSED, non_retryable=True)


def validate_completion(
    task: TaskView,
    params: CompleteTaskInput,
    details: ReferralDetails,
    case: CaseState,
    now: datetime,
) -> None:
    """Raise an ApplicationError (TASK_NOT_OPEN or COMPLETION_REJECTED) with a reason if
    `params` cannot complete `task` now."""
    if task.status is not TaskStatus.open:
        raise task_not_open(task)
    if params.result.kind != task.kind.value:
        raise rejected(
            f"task {task.task_id} is a {task.kind.value} task; "
            f"the result given is for a {params.result.kind} task"
        )
    result = params.result
    if isinstance(result, DecisionResult):
        _check_decision(result, details)
    elif isinstance(result, StrategyDiscussionResult):
        _check_instant("held_at", result.held_at, case, now)
    elif isinstance(result, VisitResult):
        _check_instant("visited_at", result.visited_at, case, now)


def _check_decision(result: DecisionResult, details: ReferralDetails) -> None:
    considered = {name.strip().casefold() for name in result.household_considered}
    left_out = [m.name for m in details.household if m.name.strip().casefold() not in considered]
    if left_out and not result.household_not_considered_reason:
        raise rejected(
            f"household_considered must list every household member named at intake "
            f"({len(left_out)} missing), or household_not_considered_reason must say why not"
        )
    if details.involves_exploitation and result.exploitation is None:
        raise rejected(
            "the concern includes exploitation or going missing: "
            "an exploitation screening (exploitation) is required"
        )


def _check_instant(name: str, value: datetime, case: CaseState, now: datetime) -> None:
    if value > now + _CLOCK_GRACE:
        raise rejected(f"{name} is in the future")
    decided = case.milestones.get(Milestone.decided)
    if decided is not None and value < decided - _CLOCK_GRACE:
        raise rejected(f"{name} is before the decision was made")
