"""Finding 5 of the security review, for the engineers' commands: `frontdoor describe` and
`frontdoor history export` show a case's data, so each writes who read which case to the access
audit first, as the API does; a read that cannot be recorded shows nothing."""

from __future__ import annotations

import getpass
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from temporalio.testing import WorkflowEnvironment

from domain.referral import ReferralInput
from store.access_event import case_accesses
from tests.cli.commands import frontdoor
from tests.conftest import TEST_PAYLOAD_KEYS, with_database
from tests.workflows.driver import referral_details
from workflows.referral import ReferralWorkflow


async def test_describe_and_export_are_recorded_against_the_case(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, tmp_path: Path
) -> None:
    referral = ReferralInput(referral_id=uuid.uuid4(), details=referral_details(datetime.now(UTC)))
    # No worker: the case's start is in its history, which is what export reads.
    await dev_env.client.start_workflow(
        ReferralWorkflow.run, referral, id=referral.workflow_id, task_queue=f"idle-{uuid.uuid4()}"
    )
    env = {
        "FRONTDOOR_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "FRONTDOOR_DATABASE_URL": database_url,
        "FRONTDOOR_LOG_LEVEL": "WARNING",
        "FRONTDOOR_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS.get_secret_value(),
    }
    code, output = await frontdoor(
        "history", "export", str(referral.referral_id), "--out", str(tmp_path), "--by", "eng.one",
        env=env,
    )  # fmt: skip
    assert code == 0, output
    assert (tmp_path / f"{referral.workflow_id}.json").exists()
    code, output = await frontdoor("describe", referral.workflow_id, env=env)
    assert code == 0, output

    async with pool.acquire() as conn:
        accesses = await case_accesses(conn, referral.referral_id)
    assert [(a["user_id"], a["method"], a["route"], a["roles"]) for a in accesses] == [
        ("eng.one", "CLI", "cli:history export", ["engineer"]),
        (getpass.getuser(), "CLI", "cli:describe", ["engineer"]),
    ]

    # Nowhere to record the read: nothing is shown.
    gone = {**env, "FRONTDOOR_DATABASE_URL": with_database(database_url, "no_such_database")}
    code, output = await frontdoor("describe", referral.workflow_id, env=gone)
    assert code == 1
    assert "could not be written to the access audit" in output
    assert '"stage"' not in output and "case      " not in output
