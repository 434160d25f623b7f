"""The workflow tests' server, worker and case factory, so a test's body is what staff do.

A module's tests run on the time-skipping server unless the module overrides `env`:
test_updates.py runs on the dev server, test_deadlines.py on a time-skipping server of each
test's own (its clock is moved to set dates).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflows.driver import NewCase, start_case
from workers.worker import build_worker


@pytest.fixture
def env(time_skipping_env: WorkflowEnvironment) -> WorkflowEnvironment:
    """The Temporal server the test's worker and cases run on."""
    return time_skipping_env


@pytest.fixture
async def worker(
    env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> AsyncIterator[Worker]:
    """The project's worker on `env`, polling the test's task queue for the whole test."""
    async with build_worker(env.client, pool, task_queue) as running:
        yield running


@pytest.fixture
def new_case(worker: Worker, env: WorkflowEnvironment, task_queue: str) -> NewCase:
    """`await new_case(...)`: a new referral on `env`, worked by `worker`, received now on the
    server's clock (or `back_dated`, or at `received_at`); keywords of `referral_details` pass
    through."""
    return partial(start_case, env, task_queue)
