"""The payload converter per serialization context: the same refusals as ever (an activity's
payload refused as a key error, a workflow input's as the clear `UnsealedPayload` error), from
converters made once rather than once per payload."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel
from temporalio.converter import (
    ActivitySerializationContext,
    WorkflowSerializationContext,
)
from temporalio.exceptions import ApplicationError

from core.codec import PayloadKeyError, refused
from core.converter import UNSEALED_ERROR_TYPE, SealedPayloadConverter, data_converter
from core.public import PUBLIC_KEY, PublicText
from core.settings import Settings
from tests.conftest import TEST_PAYLOAD_KEYS

WORKFLOW = WorkflowSerializationContext(namespace="default", workflow_id="referral-1")
ACTIVITY = ActivitySerializationContext(
    namespace="default",
    activity_id="1",
    activity_type="apply_writes",
    activity_task_queue="q",
    workflow_id="referral-1",
    workflow_type="ReferralWorkflow",
    is_local=True,
)


class Sample(BaseModel):
    text: str
    n: int


def _converter() -> SealedPayloadConverter:
    return SealedPayloadConverter()


def test_each_context_has_one_converter_made_once() -> None:
    base = _converter()
    assert base.with_context(WORKFLOW) is base  # the workflow's: no new converter
    for_activity = base.with_context(ACTIVITY)
    assert for_activity is not base
    assert base.with_context(ACTIVITY) is for_activity  # the same one every time
    assert for_activity.with_context(ACTIVITY) is for_activity
    assert for_activity.with_context(WORKFLOW) is not for_activity
    assert _converter().with_context(ACTIVITY) is for_activity


def test_the_refusal_depends_on_the_context_as_before() -> None:
    marker = refused("it is not sealed with a Front Door payload key")
    base = _converter()
    with pytest.raises(ApplicationError) as err:
        base.with_context(WORKFLOW).from_payloads([marker], [Sample])
    assert err.value.type == UNSEALED_ERROR_TYPE and err.value.non_retryable
    with pytest.raises(PayloadKeyError):
        base.with_context(ACTIVITY).from_payloads([marker], [Sample])
    with pytest.raises(ApplicationError):  # back from an activity's to a workflow's
        base.with_context(ACTIVITY).with_context(WORKFLOW).from_payloads([marker], [Sample])


def test_a_summary_is_refused_as_an_input_in_either_context() -> None:
    base = _converter()
    public = base.to_payloads([PublicText("a summary")])[0]
    assert public.metadata[PUBLIC_KEY] == b"true"
    assert base.from_payloads([public], [str]) == ["a summary"]
    with pytest.raises(ApplicationError):
        base.from_payloads([public], [Sample])
    with pytest.raises(PayloadKeyError):
        base.with_context(ACTIVITY).from_payloads([public], [Sample])


def test_values_round_trip_sealed_through_every_context() -> None:
    converter = data_converter(Settings(payload_keys=TEST_PAYLOAD_KEYS, dev_mode=True))
    assert converter.with_context(WORKFLOW) is converter  # nothing to clone

    async def round_trip(
        context: WorkflowSerializationContext | ActivitySerializationContext,
    ) -> list[object]:
        dc = converter.with_context(context)
        payloads = await dc.encode([Sample(text="ok", n=1), "plain", 3])
        assert all(p.metadata["encoding"] == b"binary/encrypted" for p in payloads)
        return await dc.decode(payloads, [Sample, str, int])

    for context in (WORKFLOW, ACTIVITY):
        assert asyncio.run(round_trip(context)) == [Sample(text="ok", n=1), "plain", 3]
