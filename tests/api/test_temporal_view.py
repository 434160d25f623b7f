"""What Temporal's own tools show of a case, with no personal data: the workflow's summary,
readable without the codec (a plain payload, as the UI shows it), and its current details
(stage, RAG, level, next due), which the workflow sets as it moves (also readable without the
codec: tests/api/test_readable.py)."""

from __future__ import annotations

import json
import uuid

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment

from domain.referral import workflow_id_for
from tests.api.conftest import LiveApi
from tests.api.test_tasks import take_in, wait_for_task
from tests.workflows.driver import referral_details


async def test_a_case_has_a_readable_summary_and_current_details(
    live_api: LiveApi, dev_env: WorkflowEnvironment
) -> None:
    referral_id = await take_in(live_api)
    await wait_for_task(live_api, live_api.staff.practitioner, referral_id, "screening")
    handle = dev_env.client.get_workflow_handle(workflow_id_for(uuid.UUID(referral_id)))
    described = await handle.describe()

    # As the server holds it (and the UI shows it): plain JSON, no codec needed.
    summary = described.raw_description.execution_config.user_metadata.summary
    assert summary.metadata["encoding"] == b"json/plain"
    assert json.loads(summary.data) == f"referral {referral_id}"
    details = referral_details(described.start_time)
    assert details.child.name.encode() not in summary.data

    # The current details, through the workflow's metadata query (sealed like any answer).
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    current = metadata.current_details
    assert current.startswith("stage screening; RAG not rated; escalation level 0; next due 20")
    assert details.child.name not in current
