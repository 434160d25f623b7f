"""The deadline activity: a step's due time and escalation rungs under the case's policy edition.

The workflow runs it as a local activity when a stage starts, so the answer is written into
history: a later change to the calendar or a policy never moves a running case's deadline on
replay. It does no I/O; a bad request (unknown policy version, missing or wrong RAG or outcome
for the step) can never succeed on retry, so it fails as a non-retryable `ApplicationError` of
type `INVALID_DEADLINE_REQUEST`.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.editions import UnknownPolicyError, get_policy
from domain.policy import DecisionOutcome, StrategyOutcome, VisitKind
from domain.records import (
    ComputeDueInput,
    ComputeDueResult,
    ComputeDuesInput,
    ComputeDuesResult,
)

INVALID_DEADLINE_REQUEST = "InvalidDeadlineRequest"
"""The error type of a deadline request that no retry can fix."""

# Tried in this order; the enums share the value "assessment", which means the same visit in each.
_OUTCOME_ENUMS: tuple[type[DecisionOutcome] | type[StrategyOutcome] | type[VisitKind], ...] = (
    DecisionOutcome,
    StrategyOutcome,
    VisitKind,
)


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, non_retryable=True, type=INVALID_DEADLINE_REQUEST)


def parse_outcome(value: str | None) -> DecisionOutcome | StrategyOutcome | VisitKind | None:
    """The decision outcome, strategy outcome or visit kind named by `value`."""
    if value is None:
        return None
    for enum in _OUTCOME_ENUMS:
        try:
            return enum(value)
        except ValueError:
            continue
    known = sorted({member.value for enum in _OUTCOME_ENUMS for member in enum})
    raise _invalid(f"unknown outcome {value!r}; known outcomes: {', '.join(known)}")


def due(request: ComputeDueInput) -> ComputeDueResult:
    """When `request.step`, counting from `request.counts_from`, is due (UTC), and the rungs of
    its escalation ladder, under the policy edition the case started with and England's default
    working calendar."""
    try:
        policy = get_policy(request.policy_version)
    except UnknownPolicyError as err:
        raise _invalid(str(err)) from None
    outcome = parse_outcome(request.outcome)
    try:
        due_at = policy.due(request.step, request.counts_from, rag=request.rag, outcome=outcome)
        rungs = policy.ladder(request.counts_from, due_at)
    except ValueError as err:
        raise _invalid(
            f"cannot compute the {request.step.value} deadline under policy "
            f"{request.policy_version!r}: {err}"
        ) from None
    activity.logger.info(
        "deadline_computed",
        extra={
            "step": request.step.value,
            "policy_version": request.policy_version,
            "due_at": due_at.isoformat(),
        },
    )
    return ComputeDueResult(due_at=due_at, rungs=rungs)


@activity.defn
async def compute_dues(request: ComputeDuesInput) -> ComputeDuesResult:
    """Several deadlines wanted at the same point of a case, in the order asked (see `due`)."""
    return ComputeDuesResult(results=[due(one) for one in request.requests])
