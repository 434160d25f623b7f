"""The deadline activity: a step's due time and escalation rungs under the case's policy edition.

The workflow runs it as a local activity when a stage starts, so the answer is written into
history: a later change to the calendar or a policy never moves a running case's deadline on
replay. Hours count in the working pattern of the request's `team`, and rungs that fall outside it
go to the emergency duty team; agency checks given `mash_decision_due` end no later than the
policy's checks margin before it. It does no I/O; a bad request (unknown policy version, missing
or wrong RAG or outcome for the step, an instant whose arithmetic leaves the calendar, such as
0001-01-01 or 9999-12-31) can never succeed on retry, so it fails as a non-retryable
`ApplicationError` of type `INVALID_DEADLINE_REQUEST`.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.editions import UnknownPolicyError, get_policy
from domain.policy import DecisionOutcome, Step, StrategyOutcome, TimescalePolicy, VisitKind
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
    """When `request.step`, done by `request.team` and counting from `request.counts_from`, is
    due (UTC), and the rungs of its escalation ladder, under the policy edition the case started
    with (its working patterns and its calendar)."""
    try:
        policy = get_policy(request.policy_version)
    except UnknownPolicyError as err:
        raise _invalid(str(err)) from None
    outcome = parse_outcome(request.outcome)
    try:
        due_at = _due_at(policy, request, outcome)
        rungs = policy.ladder(request.counts_from, due_at, team=request.team)
    # Date arithmetic out of range (year 1, year 9999) raises OverflowError, an ArithmeticError;
    # no retry can fix either kind, so neither may leave the case retrying for ever.
    except (ValueError, ArithmeticError) as err:
        raise _invalid(
            f"cannot compute the {request.step.value} deadline under policy "
            f"{request.policy_version!r} from {request.counts_from.isoformat()}: "
            f"{type(err).__name__}: {err}"
        ) from None
    activity.logger.info(
        "deadline_computed",
        extra={
            "step": request.step.value,
            "policy_version": request.policy_version,
            "team": request.team,
            "due_at": due_at.isoformat(),
        },
    )
    return ComputeDueResult(due_at=due_at, rungs=rungs)


def _due_at(
    policy: TimescalePolicy,
    request: ComputeDueInput,
    outcome: DecisionOutcome | StrategyOutcome | VisitKind | None,
) -> datetime:
    if request.agreed_due is not None:
        if request.step is not Step.mace_action:
            raise ValueError("an agreed due time is for a MACE disruption action only")
        return max(request.agreed_due, request.counts_from)
    if request.mash_decision_due is None:
        return policy.due(
            request.step, request.counts_from, rag=request.rag, outcome=outcome, team=request.team
        )
    if request.step is not Step.agency_check:
        raise ValueError("mash_decision_due caps agency checks only")
    if request.rag is None:
        raise ValueError(f"the {request.step} timescale depends on rag; pass rag=...")
    return policy.checks_due(
        request.counts_from, request.rag, request.mash_decision_due, team=request.team
    )


@activity.defn
async def compute_dues(request: ComputeDuesInput) -> ComputeDuesResult:
    """Several deadlines wanted at the same point of a case, in the order asked (see `due`)."""
    return ComputeDuesResult(results=[due(one) for one in request.requests])
