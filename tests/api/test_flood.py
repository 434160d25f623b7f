"""A case flooded with new information over HTTP: 2,000 items from three callers. Every answer is
2xx or 429 (never a 5xx), the case keeps one review task, hands itself from run to run before
Temporal's limits, then completes normally and reads back whole."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.tasks import Agency
from tests.api.conftest import ClientFactory, LiveApi, Staff, api_settings
from tests.api.driver import NONE_SEEN, complete, drive_to_closed
from tests.api.test_referrals import intake_body
from workers.worker import build_worker

ITEMS = 2_000
# Per caller per case, in this test's API: enough that the case takes well over a thousand
# items (and continues as new), while the rest are refused. A window far longer than the flood
# lasts, so exactly 3 x 550 are taken however slow the machine (a minute's window let a flood
# slowed past a minute through whole).
PER_CALLER = 550
LIMIT = f"{PER_CALLER}/hour"


@pytest.fixture
async def flood_api(
    dev_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    database_url: str,
    task_queue: str,
    api_client_for: ClientFactory,
) -> AsyncIterator[LiveApi]:
    settings = api_settings(dev_env, database_url, task_queue).model_copy(
        update={"information_rate_limit": LIMIT}
    )
    async with build_worker(dev_env.client, pool, task_queue), api_client_for(settings) as client:
        yield LiveApi(client=client, staff=Staff(settings), pool=pool)


@pytest.mark.timeout(600)
async def test_two_thousand_items_of_new_information_leave_the_case_whole(
    flood_api: LiveApi, dev_env: WorkflowEnvironment
) -> None:
    api, staff = flood_api.client, flood_api.staff
    created = await api.post("/referrals", json=intake_body(), headers=staff.practitioner)
    referral_id = created.json()["referral_id"]
    screened = await complete(flood_api, staff.practitioner, created.json()["screening_task_id"], {
        "kind": "screening", "rag": "amber", "rationale": "Checks needed.",
        "exploitation": NONE_SEEN,
        "agencies": ["police", "health"],
    })  # fmt: skip
    callers = [staff.practitioner, staff.agency(Agency.police), staff.agency(Agency.health)]
    answers: Counter[int] = Counter()
    sent = asyncio.Semaphore(8)

    async def send(n: int) -> None:
        async with sent:
            response = await api.post(
                f"/referrals/{referral_id}/information",
                json={"text": f"Item {n}: " + "x" * 2_000, "source": "police"},
                headers={**callers[n % 3], "Idempotency-Key": str(uuid.uuid4())},
            )
        answers[response.status_code] += 1
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.json()["error"]["code"] == "rate_limited"

    await asyncio.gather(*(send(n) for n in range(ITEMS)))

    assert set(answers) <= {200, 429}, answers
    accepted = answers[200]
    assert accepted == 3 * PER_CALLER and answers[429] == ITEMS - accepted
    during = (await api.get(f"/referrals/{referral_id}", headers=staff.manager)).json()
    reviews = [t for t in during["tasks"] if t["kind"] == "review_new_information"]
    assert len(reviews) == 1

    # The case goes on as normal: the review, the checks, the decision, the referrer told.
    checks = {t["task_id"] for t in screened["opened_tasks"] if t["kind"] == "agency_check"}
    assert len(checks) == 2
    case = await drive_to_closed(flood_api, referral_id, {
        "review_new_information": {"rationale": "Read every item; RAG kept."},
        "agency_check": {"known_to_agency": False, "information": "Not known."},
        "decision": {"outcome": "early_help", "rationale": "Support, not protection."},
    })  # fmt: skip
    assert {t["task_id"] for t in case["tasks"] if t["kind"] == "agency_check"} == checks
    assert {"acknowledged", "mash_decided", "referrer_told"} <= set(case["milestones"])
    assert case["stage"] == "closed" and case["outcome"] == "early_help"
    assert len(case["information"]) == accepted
    assert {i["text"].split(":")[0] for i in case["information"]} >= {"Item 0", "Item 1"}
    assert [t["kind"] for t in case["tasks"]].count("review_new_information") == 1

    # Each run of the case stayed well inside Temporal's limits.
    runs = 0
    handle = dev_env.client.get_workflow_handle(f"referral-{referral_id}")
    run_id: str | None = (await handle.describe()).run_id
    while run_id is not None:
        history = await dev_env.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        runs += 1
        assert len(history.events) < 10_240
        assert len(history.to_json()) < 10 * 1024 * 1024
        first = history.events[0].workflow_execution_started_event_attributes
        run_id = first.continued_execution_run_id or None
    assert runs >= 2
