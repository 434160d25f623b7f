"""The case activities wired as the worker wires them (the PostgreSQL case store), in Temporal's
activity environment, and a case already registered."""

from __future__ import annotations

import io
from collections.abc import Iterator

import asyncpg
import pytest
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from activities.record import CaseRecord
from core.logs import configure_logging
from core.sealing import record_sealer
from core.settings import LogFormat, Settings
from domain.records import RegisterReferralInput
from store.case_record import PgCaseStore
from tests.activities.factory import registration


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """The log lines written during the test, as JSON, one a line."""
    stream = io.StringIO()
    configure_logging(Settings(log_format=LogFormat.JSON), stream=stream)
    yield stream
    configure_logging(Settings(log_format=LogFormat.JSON))


@pytest.fixture
def env() -> ActivityEnvironment:
    return ActivityEnvironment()


@pytest.fixture
def activities(pool: asyncpg.Pool) -> CaseActivities:
    return CaseActivities(PgCaseStore(pool), CaseRecord(record_sealer(Settings())))


@pytest.fixture
async def case(env: ActivityEnvironment, activities: CaseActivities) -> RegisterReferralInput:
    registered = registration()
    await env.run(activities.register_referral, registered)
    return registered
