"""The timeouts and retry policies of the case's activity calls (workflows/writer.py).

Errors no retry can fix are named by type, so they fail at once instead of retrying forever.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import INVALID_DEADLINE_REQUEST
    from activities.steps import INVALID_INPUT

# Writes to PostgreSQL retry until they succeed: a case must never lose a step.
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[INVALID_DEADLINE_REQUEST, INVALID_INPUT],
)
DB_TIMEOUT = timedelta(seconds=30)
DUE_TIMEOUT = timedelta(seconds=10)
# A few quick tries in the worker before handing the write to the server's retries.
LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_attempts=3,
    non_retryable_error_types=[INVALID_DEADLINE_REQUEST, INVALID_INPUT],
)
