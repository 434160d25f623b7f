"""Finding 1 of the security review, as an attacker would try it: someone who reaches Temporal,
without the payload keys, sends a task completion or starts a case in plain JSON (or in a forged
envelope). The worker refuses each with a reason its sender can read, and the case is unchanged.

On the dev server: the time-skipping server mishandles rejected updates.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Sequence

import asyncpg
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    WithSerializationContext,
)
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.codec import (
    ENCODING,
    KEY_ID_KEY,
    REFUSED_ENCODING,
    EncryptionCodec,
    PayloadKeyError,
    new_key_spec,
    parse_keys,
)
from core.converter import UNSEALED_ERROR_TYPE, data_converter
from core.settings import Settings
from domain.tasks import TaskKind
from store.audit_event import list_audit_events
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.workflows.driver import Case, referral_details, start_case
from workers.worker import build_worker


class _ForgedEnvelope(PayloadCodec):
    """Dresses plain payloads as sealed under a key id (the service's, by default), without the
    key."""

    def __init__(self, key_id: bytes = b"test-1") -> None:
        self._key_id = key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(
                metadata={"encoding": ENCODING, KEY_ID_KEY: self._key_id},
                data=secrets.token_bytes(12) + p.SerializeToString() + secrets.token_bytes(16),
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


@pytest.fixture
async def worker(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> AsyncIterator[Worker]:
    async with build_worker(dev_env.client, pool, task_queue) as running:
        yield running


async def _attacker(env: WorkflowEnvironment, codec: PayloadCodec | None = None) -> Client:
    """A client of the same server with no keys: plain JSON, or `codec`'s forgery."""
    return await Client.connect(
        env.client.service_client.config.target_host,
        namespace=env.client.namespace,
        data_converter=DataConverter(payload_codec=codec),
    )


def _readable(err: BaseException | None) -> str:
    assert isinstance(err, ApplicationError), err
    assert err.type == UNSEALED_ERROR_TYPE
    return err.message


@pytest.mark.parametrize(
    ("codec", "reason"),
    [
        (None, "it is not sealed"),
        (_ForgedEnvelope(), "it does not authenticate under payload key 'test-1'"),
        # Refused too, but as a key this worker may lack during a rotation: not in clear.
        (_ForgedEnvelope(b"made-up"), None),
    ],
    ids=["plain", "forged-envelope", "unknown-key"],
)
async def test_a_completion_without_the_keys_is_refused_and_changes_nothing(
    dev_env: WorkflowEnvironment,
    worker: Worker,
    task_queue: str,
    pool: asyncpg.Pool,
    codec: PayloadCodec | None,
    reason: str | None,
) -> None:
    case: Case = await start_case(dev_env, task_queue)
    screening = await case.open_task(TaskKind.screening)
    before = await case.state()
    async with pool.acquire() as conn:
        trail_before = await list_audit_events(conn, case.handle.id)

    forged = (await _attacker(dev_env, codec)).get_workflow_handle(case.handle.id)
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
    if reason is not None:
        message = _readable(failure.value.cause)
        assert message.startswith(f"refused: {reason}")
        assert "sealed with the service's keys" in message

    # The case is unchanged, and its workflow tasks did not fail: it still answers its query.
    assert await case.state() == before
    async with pool.acquire() as conn:
        assert await list_audit_events(conn, case.handle.id) == trail_before
    # The case still takes the staff's own (sealed) completions afterwards.
    assert (await case.open_task(TaskKind.screening)).task_id == screening.task_id


async def test_a_case_started_without_the_keys_fails_before_it_runs(
    dev_env: WorkflowEnvironment, worker: Worker, task_queue: str, pool: asyncpg.Pool
) -> None:
    referral_id = uuid.uuid4()
    details = referral_details(await dev_env.get_current_time())
    attacker = await _attacker(dev_env)
    handle = await attacker.start_workflow(
        "ReferralWorkflow",
        {"referral_id": str(referral_id), "details": details.model_dump(mode="json")},
        id=f"referral-{referral_id}",
        task_queue=task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert _readable(failure.value.cause).startswith("refused: it is not sealed")
    async with pool.acquire() as conn:
        assert await list_audit_events(conn, handle.id) == []
        assert await conn.fetchval("SELECT count(*) FROM referral") == 0


async def test_the_codec_turns_what_is_not_sealed_into_a_refusal() -> None:
    codec = EncryptionCodec(parse_keys(TEST_PAYLOAD_KEYS.get_secret_value()))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    [decoded] = await codec.decode([plain])
    assert decoded.metadata["encoding"] == REFUSED_ENCODING
    [sealed] = await codec.encode([plain])
    tampered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + b"\0")
    assert (await codec.decode([sealed])) == [plain]
    assert (await codec.decode([tampered]))[0].metadata["encoding"] == REFUSED_ENCODING
    converter = data_converter(Settings(payload_keys=TEST_PAYLOAD_KEYS, dev_mode=True))
    with pytest.raises(ApplicationError, match="not sealed"):
        converter.payload_converter.from_payloads([decoded])
    # As an activity's result it fails the workflow task only (a forged completion of an
    # activity must not fail the case); so does a key this process lacks, anywhere.
    activity = ActivitySerializationContext(
        namespace="default", workflow_id="referral-x", workflow_type="ReferralWorkflow",
        activity_type="apply_writes", activity_task_queue="q", is_local=False, activity_id="1",
    )  # fmt: skip
    assert isinstance(converter.payload_converter, WithSerializationContext)
    as_result = converter.payload_converter.with_context(activity)
    with pytest.raises(PayloadKeyError, match="not sealed"):
        as_result.from_payloads([decoded])
    [unknown] = await EncryptionCodec(parse_keys(new_key_spec("other"))).decode([sealed])
    with pytest.raises(PayloadKeyError, match="'test-1', which is not in"):
        converter.payload_converter.from_payloads([unknown])
