"""docs/runbook.md as written: each engineers' command run next to a real `frontdoor dev`, in a
shell that has only the stack's own settings (its state folder and ports; no payload key, no
database URL, no development mode), answers in the shape the runbook shows, with no traceback."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.cli.commands import frontdoor
from tests.cli.test_dev import DevStack, state_dir  # noqa: F401 - the fixture
from tests.ports import free_port
from tests.workflows.driver import referral_details

pytestmark = pytest.mark.timeout(300)

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
RUN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _shell(stack: DevStack) -> dict[str, str]:
    """A fresh shell beside the stack: where it is, nothing else."""
    return {
        "FRONTDOOR_STATE_DIR": str(stack.state_dir),
        "FRONTDOOR_TEMPORAL_PORT": str(stack.temporal_port),
        "FRONTDOOR_TEMPORAL_UI_PORT": str(stack.ui_port),
        "FRONTDOOR_LOG_LEVEL": "WARNING",
    }


async def _take_in(stack: DevStack, env: dict[str, str]) -> str:
    code, token = await frontdoor("token", "--user", "pat", "--role", "practitioner", env=env)
    assert code == 0, token
    details = referral_details(datetime.now(UTC) - timedelta(minutes=5))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}") as api:
        created = await api.post(
            "/referrals",
            json=details.model_dump(mode="json"),
            headers={"Authorization": f"Bearer {token.strip()}", "Idempotency-Key": "rb-1"},
        )
    assert created.status_code == 201, created.text
    return str(created.json()["referral_id"])


def _no_traceback(output: str) -> None:
    assert "Traceback" not in output, output


async def _runbook(stack: DevStack) -> None:
    env = _shell(stack)
    referral_id = await _take_in(stack, env)
    workflow_id = f"referral-{referral_id}"

    code, out = await frontdoor("stuck", env=env)
    assert (code, out.strip()) == (0, "no stuck cases"), out

    code, out = await frontdoor("replay", env=env)
    assert code == 0 and re.search(r"replayed 1, failed 0, in [0-9.]+s - OK", out), out

    code, out = await frontdoor("describe", referral_id, env=env)
    assert code == 0, out
    assert out.startswith(f"case      {workflow_id} (run ")
    assert "status    RUNNING" in out and "/history" in out and '"stage": "screening"' in out

    code, out = await frontdoor("history", "export", referral_id, env=env)
    exported = stack.state_dir / "histories" / f"{workflow_id}.json"
    assert (code, out.strip()) == (0, f"wrote {exported}"), out
    code, out = await frontdoor("replay", "--file", str(exported), env=env)
    assert code == 0 and "replayed 1, failed 0" in out, out

    code, out = await frontdoor("replay", "--file", str(HISTORIES / "escalations.json"), env=env)
    assert code == 1 and out.startswith("FAILED escalations: sealed with payload key test-1"), out
    _no_traceback(out)

    reset = ("reset", referral_id, "--reason", "runbook", "--by", "eng.one")
    code, out = await frontdoor(*reset, env=env)
    assert code == 0 and RUN_ID.match(out.strip()), out

    # describe, export and reset were all written to the case's audit.
    url = (stack.state_dir / "database-url").read_text().strip()
    conn = await asyncpg.connect(url)
    try:
        routes = {
            r["route"]
            for r in await conn.fetch(
                "SELECT route FROM access_event WHERE referral_id = $1", uuid.UUID(referral_id)
            )
        }
        resets = await conn.fetchval(
            "SELECT count(*) FROM audit_event WHERE workflow_id = $1 AND kind = 'case_reset'",
            workflow_id,
        )
    finally:
        await conn.close()
    assert {"cli:describe", "cli:history export"} <= routes
    assert resets == 1


def test_the_runbook_commands_work_as_written_beside_frontdoor_dev(state_dir: Path) -> None:  # noqa: F811
    stack = DevStack(state_dir)
    probes = {
        "FRONTDOOR_WORKER_PROBE_PORT": str(free_port()),
        "FRONTDOOR_WORKER_METRICS_PORT": str(free_port()),
        "FRONTDOOR_NOTIFIER_PROBE_PORT": str(free_port()),
    }
    base_env = stack.env
    stack.env = lambda: {**base_env(), **probes}  # type: ignore[method-assign]
    stack.start()
    try:
        stack.wait_ready()
        asyncio.run(_runbook(stack))
        assert stack.interrupt() == 0
    finally:
        stack.kill()
    assert not (state_dir / "database-url").exists()

    # With the stack gone: one line saying what is missing, nothing touched, no traceback.
    env = _shell(stack)
    code, out = asyncio.run(frontdoor("reset", "referral-x", "--reason", "r", env=env))
    assert code == 1 and out.startswith("error: nothing was reset: "), out
    assert "FRONTDOOR_DATABASE_URL" in out
    code, out = asyncio.run(frontdoor("stuck", env=env))
    assert code == 2 and out.startswith("error: cannot reach Temporal at 127.0.0.1:"), out
    code, out = asyncio.run(frontdoor("stuck", env={"FRONTDOOR_STATE_DIR": str(state_dir / "x")}))
    assert code == 2 and out.startswith("error: set FRONTDOOR_PAYLOAD_KEYS"), out
    _no_traceback(out)
