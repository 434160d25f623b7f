"""New information on an open case, however much arrives: one review task, every item in the
case record and none in the workflow's state, and a long case handed from run to run
(continue-as-new) with nothing lost."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment

from domain.case import Stage
from domain.policy import Rag
from domain.tasks import Agency, ReviewResult, ScreeningResult, TaskKind
from tests.workers.variants import ShortRuns
from tests.workflows.driver import (
    CHECK,
    NONE_SEEN,
    NewCase,
    acknowledge,
    decision,
    start_case,
    tell_referrer,
)
from workers.worker import build_worker

SCREENING = ScreeningResult(
    exploitation=NONE_SEEN, rag=Rag.amber, rationale="Checks.", agencies=[Agency.police]
)


async def _entries(pool: asyncpg.Pool, workflow_id: str, kind: str) -> int:
    async with pool.acquire() as conn:
        n: int = await conn.fetchval(
            "SELECT count(*) FROM case_entry WHERE workflow_id = $1 AND kind = $2",
            workflow_id,
            kind,
        )
    return n


async def test_items_of_new_information_go_to_one_review_task_and_into_the_record(
    new_case: NewCase, pool: asyncpg.Pool
) -> None:
    case = await new_case()
    await case.complete(TaskKind.screening, SCREENING)

    reviews = {await case.add_information(f"Item {n}: a further call-out.") for n in range(3)}
    assert len(reviews) == 1  # one task to review them all
    await case.complete(
        TaskKind.review_new_information, ReviewResult(rationale="Read all three; RAG stays.")
    )
    later = await case.add_information("Item 4, after the review.")
    state = await case.state()

    assert later not in reviews  # a new review for what came after
    assert [t.kind for t in state.tasks].count(TaskKind.review_new_information) == 2
    assert await _entries(pool, case.handle.id, "information") == 4
    async with pool.acquire() as conn:
        notices = await conn.fetchval(
            "SELECT count(*) FROM notification WHERE workflow_id = $1"
            " AND payload->>'task_kind' = 'review_new_information'",
            case.handle.id,
        )
    assert notices == 2  # one "task opened" per review task, not per item
    # The workflow keeps what it decides on, not what staff wrote.
    assert "call-out" not in state.model_dump_json()
    assert "Read all three" not in state.model_dump_json()
    await case.handle.terminate("test over")
    assert await case.replay() < 500


async def test_a_long_case_continues_as_new_carrying_its_state(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    env = time_skipping_env
    async with build_worker(env.client, pool, task_queue, workflows=[ShortRuns]):
        case = await start_case(env, task_queue)
        first_run = (await case.handle.describe()).run_id
        await case.complete(TaskKind.screening, SCREENING)
        reviews = {await case.add_information(f"Item {n}.") for n in range(6)}
        latest = env.client.get_workflow_handle(case.handle.id)
        assert (await latest.describe()).run_id != first_run
        state = await case.state()
        assert len(reviews) == 1 and state.stage is Stage.checks
        assert state.rag is Rag.amber
        assert [t.kind for t in state.tasks if t.status == "open"] == [
            TaskKind.acknowledgement,
            TaskKind.agency_check,
            TaskKind.review_new_information,
        ]
        assert any(e.event == "continued" for e in state.timeline)

        # The new run watches the open tasks' ladders: the review's reminder still fires.
        review = await case.open_task(TaskKind.review_new_information)
        await case.advance_to(review.due_at + timedelta(minutes=1))
        escalated = await case.wait_for(
            lambda s: any(e.task_id == review.task_id for e in s.escalations)
        )
        assert {e.level for e in escalated.escalations if e.task_id == review.task_id} >= {0, 1}

        await case.complete(TaskKind.review_new_information, ReviewResult(rationale="Read."))
        answer = await case.complete(TaskKind.agency_check, CHECK, agency="police")
        assert answer.stage is Stage.decision
        await case.complete(TaskKind.decision, decision("nfa"))
        await acknowledge(case)
        await tell_referrer(case)
        summary = await case.handle.result()  # follows the case from run to run

    assert summary.outcome == "nfa"
    assert await _entries(pool, case.handle.id, "information") == 6
    async with pool.acquire() as conn:
        stage, revision = await conn.fetchrow(
            "SELECT stage, revision FROM referral WHERE workflow_id = $1", case.handle.id
        ) or (None, None)
    assert stage == "closed" and revision is not None and revision > 10
