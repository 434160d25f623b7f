"""The public marker opens summaries only: a payload marked public (as summaries are, left
unsealed by the codec) sent as a task completion or a case's input is refused, as any unsealed
payload is, and the case is unchanged. The summaries themselves: tests/api/test_readable.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from core.converter import UNSEALED_ERROR_TYPE
from core.public import PUBLIC_KEY
from domain.tasks import TaskKind
from tests.workflows.driver import referral_details, start_case
from workers.summaries import activity_summary
from workers.worker import build_worker

REFUSAL = "refused: it is not sealed (a summary's payload, sent as an input)"


class _MarkedPublic(PayloadCodec):
    """Plain payloads marked as summaries are, without any key."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        marked = [Payload() for _ in payloads]
        for payload, original in zip(marked, payloads, strict=True):
            payload.CopyFrom(original)
            payload.metadata[PUBLIC_KEY] = b"true"
        return marked

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


async def _forger(env: WorkflowEnvironment) -> Client:
    return await Client.connect(
        env.client.service_client.config.target_host,
        namespace=env.client.namespace,
        data_converter=DataConverter(payload_codec=_MarkedPublic()),
    )


def _refusal(err: BaseException | None) -> str:
    assert isinstance(err, ApplicationError), err
    assert err.type == UNSEALED_ERROR_TYPE
    return err.message


async def test_a_completion_marked_public_is_refused_and_changes_nothing(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    async with build_worker(dev_env.client, pool, task_queue):
        case = await start_case(dev_env, task_queue)
        screening = await case.open_task(TaskKind.screening)
        before = await case.state()
        forged = (await _forger(dev_env)).get_workflow_handle(case.handle.id)
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            await forged.execute_update(
                "complete_task",
                {
                    "task_id": screening.task_id,
                    "actor": "nobody-forged",
                    "result": {"kind": "screening", "rag": "green", "rationale": "forged"},
                },
                id=f"forged-{uuid.uuid4()}",
            )
        assert _refusal(failure.value.cause).startswith(REFUSAL)
        assert await case.state() == before


async def test_a_case_started_with_an_input_marked_public_fails_before_it_runs(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    referral_id = uuid.uuid4()
    details = referral_details(await dev_env.get_current_time())
    async with build_worker(dev_env.client, pool, task_queue):
        handle = await (await _forger(dev_env)).start_workflow(
            "ReferralWorkflow",
            {"referral_id": str(referral_id), "details": details.model_dump(mode="json")},
            id=f"referral-{referral_id}",
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    assert _refusal(failure.value.cause).startswith(REFUSAL)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM referral") == 0


def test_an_activity_summary_names_codes_only() -> None:
    assert activity_summary("register_referral", [object()]) == "register referral"
