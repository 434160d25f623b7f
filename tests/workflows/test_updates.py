"""Completions the validator must refuse, with a reason, before anything is written; and what the
case publishes for managers (search attributes) and keeps (read model, audit, outbox).

Rejections run on the dev server: the time-skipping server mishandles rejected updates.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import asyncpg
import pytest
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from core import search_attributes as sa
from domain.exploitation import ExploitationIndicator, ExploitationRisk, ExploitationScreening
from domain.policy import Rag
from domain.referral import ConcernCategory
from domain.tasks import (
    Agency,
    AgencyCheckResult,
    CompleteTaskInput,
    DecisionResult,
    ScreeningResult,
    TaskKind,
    TaskStatus,
)
from tests.workflows.driver import (
    NONE_SEEN,
    Case,
    NewCase,
    acknowledge,
    decision,
    hold_mace,
    tell_referrer,
)
from workflows.referral import ReferralWorkflow

SCREENING = ScreeningResult(
    exploitation=NONE_SEEN, rag=Rag.amber, rationale="Checks needed.", agencies=[Agency.police]
)
CHECK = AgencyCheckResult(known_to_agency=False, information="Not known.", responder_name="Duty")


@pytest.fixture
def env(dev_env: WorkflowEnvironment) -> WorkflowEnvironment:
    """Every test here runs on the dev server (see above)."""
    return dev_env


async def _rejected(case: Case, task_id: str, result: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.complete_task(task_id, result)  # type: ignore[arg-type]
    cause = failure.value.cause
    return str(getattr(cause, "message", cause))


async def test_completions_that_cannot_apply_are_rejected_with_a_reason(
    new_case: NewCase,
) -> None:
    case = await new_case()
    screening = await case.open_task(TaskKind.screening)

    wrong_kind = await _rejected(case, screening.task_id, CHECK)
    assert wrong_kind == (
        f"task {screening.task_id} is a screening task; the result given is for a agency_check task"
    )
    unknown = str(uuid.uuid4())
    assert await _rejected(case, unknown, SCREENING) == (
        f"task {unknown} is not a task of this referral"
    )

    await case.complete_task(screening.task_id, SCREENING)
    # The same submission again with the same update id returns the first answer...
    again = await case.complete_task(screening.task_id, SCREENING)
    assert again.task_id == screening.task_id
    # ...but a second, different submission for a completed task is refused.
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await case.handle.execute_update(
            ReferralWorkflow.complete_task,
            CompleteTaskInput(task_id=screening.task_id, actor="x", result=SCREENING),
            id=f"another-{uuid.uuid4()}",
        )
    assert str(getattr(twice.value.cause, "message", "")) == (
        f"task {screening.task_id} is already completed"
    )
    state = await case.state()
    assert sum(t.kind is TaskKind.agency_check for t in state.tasks) == 1
    await case.handle.terminate("test over")


async def test_a_decision_must_consider_the_household_and_screen_for_exploitation(
    new_case: NewCase, pool: asyncpg.Pool
) -> None:
    case = await new_case(categories=(ConcernCategory.missing,))
    await case.complete(TaskKind.screening, SCREENING)
    await case.complete(TaskKind.agency_check, CHECK, agency="police")
    task = await case.open_task(TaskKind.decision)

    no_household = await _rejected(case, task.task_id, decision("nfa", household_considered=[]))
    assert "household_considered must list every household member" in no_household
    # Every decision carries an exploitation screening: one without is not a decision at all.
    with pytest.raises(ValidationError, match="exploitation\n  Field required"):
        DecisionResult.model_validate(
            {**decision("nfa").model_dump(exclude={"exploitation"}), "kind": "decision"}
        )
    assert (await case.open_task(TaskKind.decision)).status is TaskStatus.open

    screening = ExploitationScreening(
        risk=ExploitationRisk.significant,
        indicators=[ExploitationIndicator.going_missing],
        rationale="Missing three times this month.",
    )
    await case.complete_task(
        task.task_id,
        decision(
            "early_help",
            exploitation=screening,
            exploitation_closure_rationale="Early help keyworker; the MACE discussion goes ahead.",
        ),
    )
    await tell_referrer(case)
    await acknowledge(case)
    await hold_mace(case)
    await case.handle.result()

    async with pool.acquire() as conn:
        kinds = await conn.fetch(
            "SELECT kind, recipient_team FROM notification WHERE workflow_id = $1 ORDER BY kind",
            case.handle.id,
        )
    sent = {(row["kind"], row["recipient_team"]) for row in kinds}
    assert ("exploitation_risk", "exploitation") in sent
    # The referrer is told by a member of staff (a task), not by an email to nobody.
    assert ("check_outcome", "agency:police") in sent
    assert not any(kind == "referrer_told" for kind, _ in sent)


async def test_a_second_referral_of_the_same_child_is_a_re_referral(new_case: NewCase) -> None:
    first = await new_case(back_dated=timedelta(days=200), nhs_number="9434765919")
    # Same child by name and date of birth, written differently; no NHS number this time.
    second = await new_case(name="  sam   EXAMPLE ")
    state = await second.state()
    screening = await second.open_task(TaskKind.screening)
    described = await second.handle.describe()
    first_state = await first.state()
    for case in (first, second):
        await case.handle.terminate("test over")

    assert not first_state.re_referral
    assert state.re_referral
    assert state.earlier_referrals == [first_state.referral_id]
    assert screening.earlier_referrals == [first_state.referral_id]
    assert described.typed_search_attributes.get(sa.RE_REFERRAL) is True


async def test_search_attributes_follow_the_case_and_carry_no_personal_data(
    new_case: NewCase,
) -> None:
    case = await new_case()
    await case.complete(TaskKind.screening, SCREENING)
    described = await case.handle.describe()
    state = await case.state()
    await case.handle.terminate("test over")

    attributes = described.typed_search_attributes
    assert attributes.get(sa.STAGE) == "checks"
    assert attributes.get(sa.RAG) == "amber"
    assert attributes.get(sa.ESCALATION_LEVEL) == 0
    assert attributes.get(sa.OVERDUE) is False
    check = next(t for t in state.tasks if t.kind is TaskKind.agency_check)
    assert attributes.get(sa.NEXT_DUE_AT) == check.due_at
    published = " ".join(str(pair.value) for pair in attributes)
    for personal in ("Sam", "Example", "Street", "hungry"):
        assert personal not in published
    assert "Sam" not in case.handle.id


async def test_two_concurrent_completions_of_one_task_apply_exactly_once(
    new_case: NewCase, pool: asyncpg.Pool
) -> None:
    case = await new_case()
    screening = await case.open_task(TaskKind.screening)
    attempts = [
        case.handle.execute_update(
            ReferralWorkflow.complete_task,
            CompleteTaskInput(task_id=screening.task_id, actor=actor, result=SCREENING),
            id=f"{actor}-{uuid.uuid4()}",
        )
        for actor in ("worker-a", "worker-b")
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    state = await case.state()
    await case.handle.terminate("test over")

    succeeded = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
    assert len(succeeded) == 1 and len(failed) == 1
    assert "already completed" in str(getattr(failed[0].cause, "message", ""))
    done = next(t for t in state.tasks if t.task_id == screening.task_id)
    assert done.completed_by in ("worker-a", "worker-b")
    assert sum(t.kind is TaskKind.agency_check for t in state.tasks) == 1
    async with pool.acquire() as conn:
        closes = await conn.fetchval(
            "SELECT count(*) FROM audit_event WHERE workflow_id = $1 AND step_key = $2",
            case.handle.id,
            f"task/{screening.task_id}/closed",
        )
    assert closes == 1
