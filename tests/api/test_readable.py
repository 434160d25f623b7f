"""Readable in Temporal's tools without the codec, and nothing personal there: a case's summary,
its timers' and activities' summaries and its current details are plain JSON to a client with no
codec (as the Temporal UI shows them), while its input is ciphertext, readable only through the
API's codec endpoint, for an engineer."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

from google.protobuf.json_format import MessageToDict
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.codec import ENCODING
from core.public import PUBLIC_KEY
from domain.referral import workflow_id_for
from tests.api.conftest import LiveApi
from tests.api.test_tasks import take_in, wait_for_task
from tests.workflows.driver import referral_details


def _plain(payload: Payload) -> str:
    """A summary as the UI reads it without a codec: plain JSON text, marked public."""
    assert payload.metadata["encoding"] == b"json/plain", payload.metadata
    assert payload.metadata[PUBLIC_KEY] == b"true"
    text = json.loads(payload.data)
    assert isinstance(text, str)
    return text


async def test_summaries_are_plain_without_the_codec_and_the_input_only_through_it(
    live_api: LiveApi, dev_env: WorkflowEnvironment
) -> None:
    referral_id = await take_in(live_api)
    await wait_for_task(live_api, live_api.staff.practitioner, referral_id, "screening")
    target = dev_env.client.service_client.config.target_host
    plain_client = await Client.connect(target, namespace=dev_env.client.namespace)  # no codec
    handle = plain_client.get_workflow_handle(workflow_id_for(uuid.UUID(referral_id)))
    history = await handle.fetch_history()
    name = referral_details(datetime.now(UTC)).child.name

    summaries: dict[int, list[str]] = {}
    for event in history.events:
        if event.user_metadata.HasField("summary"):
            summaries.setdefault(event.event_type, []).append(_plain(event.user_metadata.summary))
    started_summary = summaries[EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED]
    assert started_summary == [f"referral {referral_id}"]
    assert "screening rung 0" in summaries[EventType.EVENT_TYPE_TIMER_STARTED]
    writes = summaries[EventType.EVENT_TYPE_MARKER_RECORDED]
    assert any(text.startswith("writes: open_task") for text in writes)
    assert not any(name in text for texts in summaries.values() for text in texts)

    # The current details, through the workflow's metadata query the UI sends: plain too.
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details.startswith("stage screening; RAG not rated; escalation")
    assert name not in metadata.current_details

    # The input: ciphertext to the plain client, the child's name only through the codec.
    [started] = history.events[:1]
    [sealed] = started.workflow_execution_started_event_attributes.input.payloads
    assert sealed.metadata["encoding"] == ENCODING
    assert name.encode() not in sealed.data
    body = {"payloads": [MessageToDict(sealed), MessageToDict(started.user_metadata.summary)]}
    staff = live_api.staff
    refused = await live_api.client.post("/codec/decode", json=body, headers=staff.practitioner)
    assert refused.status_code == 403
    decoded = await live_api.client.post("/codec/decode", json=body, headers=staff.engineer)
    assert decoded.status_code == 200, decoded.text
    input_payload, summary = decoded.json()["payloads"]
    assert base64.b64decode(input_payload["metadata"]["encoding"]) == b"json/plain"
    assert name in base64.b64decode(input_payload["data"]).decode()
    # Through the codec, the summary comes back as it went in (the UI uses one codec for all).
    assert json.loads(base64.b64decode(summary["data"])) == f"referral {referral_id}"
