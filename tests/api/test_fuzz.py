"""Property-based requests from the OpenAPI schema (schemathesis) against the real API process,
with a worker, the Temporal dev server and PostgreSQL: no 5xx, and every answer fits the schema.

The number of examples per operation is bounded (FRONTDOOR_FUZZ_EXAMPLES, default 25) so the run
fits in CI; raise it locally for a deeper search.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance
from temporalio.testing import WorkflowEnvironment

from api.auth import StaffRole, User, issue_token
from core.settings import Settings
from tests.api.conftest import TEST_SECRET
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.ports import free_port
from tests.workflows.driver import referral_details

EXAMPLES = int(os.environ.get("FRONTDOOR_FUZZ_EXAMPLES", "25"))


@dataclass
class RunningApi:
    base_url: str
    token: str


@pytest.fixture
def running_api(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str
) -> Iterator[RunningApi]:
    """`frontdoor api` and `frontdoor worker` as real processes on this test's database."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
    env.update(
        FRONTDOOR_TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        FRONTDOOR_DATABASE_URL=database_url,
        FRONTDOOR_TASK_QUEUE=task_queue,
        FRONTDOOR_AUTH_SECRET=TEST_SECRET.get_secret_value(),
        FRONTDOOR_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS.get_secret_value(),
        FRONTDOOR_DEV_MODE="true",
        FRONTDOOR_API_PORT=str(port),
        FRONTDOOR_LOG_LEVEL="WARNING",
    )
    procs = [
        subprocess.Popen([sys.executable, "-m", "cli.main", role], env=env)
        for role in ("worker", "api")
    ]
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base_url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        settings_ = Settings(auth_secret=TEST_SECRET)
        manager = User(user_id="fuzz.manager", name="Fuzz", roles=[StaffRole.manager])
        token = issue_token(settings_, manager)
        # A real case, so routes that take an id sometimes find one.
        body = referral_details(datetime.now(UTC) - timedelta(minutes=1)).model_dump(mode="json")
        created = httpx.post(
            f"{base_url}/referrals", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text
        yield RunningApi(base_url=base_url, token=token)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def test_no_request_gets_a_server_error_or_breaks_the_schema(running_api: RunningApi) -> None:
    schema = schemathesis.openapi.from_url(f"{running_api.base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {running_api.token}"}
    failures: list[str] = []
    operations = 0
    calls = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"the schema has an invalid operation: {result.err()}")
            continue
        operation = result.ok()
        operations += 1

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def probe(case: Any) -> None:
                nonlocal calls
                calls += 1
                response = case.call(base_url=running_api.base_url, headers=headers, timeout=30)
                where = f"{case.method} {case.formatted_path}"
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.status_code}")
                try:
                    case.validate_response(response, checks=[response_schema_conformance])
                except AssertionError as err:  # schemathesis raises a subclass for failed checks
                    failures.append(f"{where}: {err}")

            try:
                probe()
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    raise
                # An operation with no input to break (e.g. /healthz) has no negative cases.
    print(f"schemathesis: {operations} operations, {calls} requests")
    assert operations >= 10, "the schema lost its operations"
    assert calls >= operations * min(EXAMPLES, 5), f"only {calls} requests were sent"
    assert failures == [], "\n".join(sorted(set(failures))[:20])
