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
        AcknowledgementResult,
        AssessmentCompletedResult,
        ChildProtectionConferenceResult,
        CompleteTaskInput,
        DecisionResult,
        HandoverResult,
        ReferralDecisionResult,
        ReferrerFeedbackResult,
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
    match result:
        case DecisionResult() | ReferralDecisionResult():
            _check_decision(result, details, case)
        case StrategyDiscussionResult():
            _check_instant("held_at", result.held_at, case, now)
        case VisitResult():
            _check_instant("visited_at", result.visited_at, case, now)
        case AcknowledgementResult():
            _check_after("acknowledged_at", result.acknowledged_at, case.received_at, now)
        case ReferrerFeedbackResult():
            decided = case.milestones.get(Milestone.referral_decided) or case.milestones.get(
                Milestone.mash_decided
            )
            _check_after("told_at", result.told_at, decided, now, "the decision was made")
        case HandoverResult():
            seen = case.milestones.get(Milestone.child_seen)
            _check_after("accepted_at", result.accepted_at, seen, now, "the child was seen")
        case AssessmentCompletedResult():
            referred = case.referral_at
            _check_after("completed_at", result.completed_at, referred, now, "the referral")
        case ChildProtectionConferenceResult() if result.held_at is not None:
            held = case.milestones.get(Milestone.strategy_held)
            _check_after("held_at", result.held_at, held, now, "the strategy discussion")


def _check_decision(
    result: DecisionResult | ReferralDecisionResult, details: ReferralDetails, case: CaseState
) -> None:
    if (
        isinstance(result, DecisionResult)
        and case.immediate_risk
        and not result.outcome.makes_referral
    ):
        raise rejected(
            "the child was screened at immediate risk: the contact is a referral, so the "
            "outcome must be referral, assessment, strategy_discussion or immediate_protection"
        )
    considered = {name.strip().casefold() for name in result.household_considered}
    left_out = [m.name for m in details.household if m.name.strip().casefold() not in considered]
    if left_out and not result.household_not_considered_reason:
        raise rejected(
            f"household_considered must list every household member named at intake "
            f"({len(left_out)} missing), or household_not_considered_reason must say why not"
        )
    _check_exploitation_closure(result, case)


def _check_exploitation_closure(
    result: DecisionResult | ReferralDecisionResult, case: CaseState
) -> None:
    """A child at significant risk of exploitation is closed (nfa, advice, early help, a step
    down) only with a manager's recorded reason."""
    if isinstance(result, DecisionResult):
        outcome, closes = result.outcome, not result.outcome.makes_referral
    else:
        outcome, closes = result.response, result.response.closes_case
    risk = result.exploitation.risk if result.exploitation else case.exploitation_risk
    significant = risk is not None and risk.significant_or_worse
    if closes and significant and not result.exploitation_closure_rationale:
        raise rejected(
            f"the child is at {risk} risk of exploitation: closing as {outcome.value} "
            "needs the manager's reason (exploitation_closure_rationale)"
        )


def _check_instant(name: str, value: datetime, case: CaseState, now: datetime) -> None:
    decided = case.milestones.get(Milestone.referral_decided) or case.milestones.get(
        Milestone.mash_decided
    )
    _check_after(name, value, decided, now, "the decision was made")


def _check_after(
    name: str,
    value: datetime,
    earliest: datetime | None,
    now: datetime,
    what: str = "the contact was received",
) -> None:
    """`value` is not in the future, nor before `earliest` (what it must follow)."""
    if value > now + _CLOCK_GRACE:
        raise rejected(f"{name} is in the future")
    if earliest is not None and value < earliest - _CLOCK_GRACE:
        raise rejected(f"{name} is before {what}")
