"""Health and metrics as an operator scrapes them: after a case runs, the API's `/metrics`, the
worker's SDK metrics port and the notifier's probe port show every name docs/operations.md
documents; the worker's and the notifier's probes answer while they run, and the worker's
readiness goes with it when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from notifier.dispatcher import run_notifier
from tests.api.conftest import LiveApi, Staff, _api_client, api_settings
from tests.api.test_tasks import SCREENING, complete, take_in, wait_for_task
from tests.ports import free_port
from workers.worker import run_worker

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def documented(section: str) -> set[str]:
    """The metric names in the table under `## <section>` of docs/operations.md."""
    text = OPERATIONS.read_text(encoding="utf-8")
    part = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)`", part, flags=re.MULTILINE))


def exposed(scrape: str) -> set[str]:
    """The metric names of a Prometheus text scrape, as queries use them (a histogram's
    `_bucket`, `_sum` and `_count` series under its own name)."""
    names = set()
    for line in scrape.splitlines():
        if line and not line.startswith("#"):
            name = re.split(r"[{ ]", line, maxsplit=1)[0]
            names.add(re.sub(r"_(bucket|sum|count|created)$", "", name))
    return names


@contextlib.asynccontextmanager
async def running(stop: asyncio.Event, task: asyncio.Task[None]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def until_answers(url: str, status: int = 200) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                answer = await http.get(url)
                if answer.status_code == status:
                    return answer
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered {status}")


async def test_the_documented_metrics_are_exposed_after_a_case_runs(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> None:
    ports = {name: free_port() for name in ("worker_probe", "worker_metrics", "notifier_probe")}
    settings: Settings = api_settings(dev_env, database_url, task_queue).model_copy(
        update={
            "worker_probe_port": ports["worker_probe"],
            "worker_metrics_port": ports["worker_metrics"],
            "notifier_probe_port": ports["notifier_probe"],
            "notify_poll_seconds": 0.2,
            "smtp_port": free_port(),  # nothing listens: sends fail and are retried
        }
    )
    worker_stop, notifier_stop = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, worker_stop))
    notifier = asyncio.create_task(run_notifier(settings, notifier_stop))
    worker_probe = f"http://127.0.0.1:{ports['worker_probe']}"
    notifier_probe = f"http://127.0.0.1:{ports['notifier_probe']}"
    async with running(notifier_stop, notifier), running(worker_stop, worker):
        await until_answers(f"{worker_probe}/readyz")
        await until_answers(f"{worker_probe}/healthz")
        async with _api_client(settings) as client:
            api = LiveApi(client=client, staff=Staff(settings), pool=pool)
            referral_id = await take_in(api)
            task = await wait_for_task(api, api.staff.practitioner, referral_id, "screening")
            done = await complete(api, api.staff.manager, task["task_id"], SCREENING)
            assert done.status_code == 200, done.text
            scraped = await client.get("/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        assert documented("The API") <= exposed(scraped.text), scraped.text
        assert 'route="/tasks/{task_id}/complete"' in scraped.text
        assert referral_id not in scraped.text and str(task["task_id"]) not in scraped.text

        sdk = await until_answers(f"http://127.0.0.1:{ports['worker_metrics']}/metrics")
        assert documented("The worker") <= exposed(sdk.text), "\n".join(sorted(exposed(sdk.text)))
        assert f'task_queue="{task_queue}"' in sdk.text

        await until_answers(f"{notifier_probe}/readyz")
        outbox = await until_answers(f"{notifier_probe}/metrics")
        assert documented("The notifier") <= exposed(outbox.text), outbox.text
    async with httpx.AsyncClient() as http:
        for probe in (worker_probe, notifier_probe):
            try:
                gone = await http.get(f"{probe}/readyz")
            except httpx.ConnectError:
                continue  # stopped: the probe fails, as a healthcheck sees it
            raise AssertionError(f"{probe} still answers {gone.status_code} after the stop")
