"""What staff do over HTTP in the API tests: complete a task, find the tasks a completion
opened."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import LiveApi


async def complete(
    api: LiveApi, headers: dict[str, str], task_id: str, result: dict[str, Any]
) -> dict[str, Any]:
    """Complete the task with `result` as `headers`' owner; the answer (it must be 200)."""
    response = await api.client.post(
        f"/tasks/{task_id}/complete",
        json={"result": result},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def opened(answer: dict[str, Any], kind: str) -> str:
    """The task of `kind` that a completion opened."""
    return str(next(t["task_id"] for t in answer["opened_tasks"] if t["kind"] == kind))
