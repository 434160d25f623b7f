"""The load generator against the API with a real worker: every path, every case closed with
exactly its tasks; and completions raced in pairs, a hundred times."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from temporalio.testing import WorkflowEnvironment

from api.auth import StaffRole
from cli.loadgen import run_load
from tests.api.conftest import LiveApi
from tests.api.test_referrals import intake_body


async def test_load_closes_every_case_with_exactly_its_tasks(live_api: LiveApi) -> None:
    transport = live_api.client._transport  # the in-process app, with the test's worker
    report = await run_load(
        "http://frontdoor", live_api.staff.settings,
        referrals=30, concurrency=10, seed=7, transport=transport,
    )  # fmt: skip
    assert report.problems == []
    assert not [k for k in report.statuses if k[1] >= 500]
    assert len(report.latencies["POST /referrals"]) == 30
    assert any(line.startswith("  complete decision") for line in report.lines())
    # The run took the process's every kind of step: contacts closed at the MASH decision,
    # referrals decided then and decided next, the referrer loop, the handover and section 47,
    # and the MACE discussion (with its disruption actions) of a child at significant risk.
    completed = {k.removeprefix("complete ") for k in report.latencies if k.startswith("complete")}
    assert {
        "acknowledgement", "decision", "referral_decision", "referrer_feedback",
        "strategy_discussion", "visit", "handover", "assessment_completed",
        "child_protection_conference", "mace", "mace_action",
    } <= completed, completed  # fmt: skip
    assert {"nfa", "advice", "early_help", "referral>assessment", "assessment"} <= set(
        report.paths
    ), report.paths
    assert "early_help +mace" in report.paths, report.paths  # closed with the manager's reason


async def test_a_hundred_pairs_of_concurrent_completions_each_apply_once(
    live_api: LiveApi, dev_env: WorkflowEnvironment
) -> None:
    api, staff = live_api.client, live_api.staff
    created = await api.post("/referrals", json=intake_body(), headers=staff.practitioner)
    referral_id = created.json()["referral_id"]

    async def complete(task_id: str) -> httpx.Response:
        return await api.post(
            f"/tasks/{task_id}/complete",
            json={"result": {"kind": "review_new_information", "rationale": "Seen."}},
            headers={**staff.practitioner, "Idempotency-Key": str(uuid.uuid4())},
        )

    # Each report opens a review (the last one was completed) and its completion is raced.
    # Ten practitioners share the reports, within the limit on one caller's new information.
    outcomes, reviews = [], []
    for n in range(100):
        informant = staff.headers(f"pat.{n % 10}", StaffRole.practitioner)
        added = await api.post(
            f"/referrals/{referral_id}/information",
            json={"text": f"Report {n}.", "source": "police"},
            headers=informant,
        )
        assert added.status_code == 200, added.text
        reviews.append(added.json()["review_task_id"])
        pair = await asyncio.gather(complete(reviews[-1]), complete(reviews[-1]))
        outcomes.append(sorted(r.status_code for r in pair))
    assert outcomes == [[200, 409]] * 100
    assert len(set(reviews)) == 100
    state = (await api.get(f"/referrals/{referral_id}", headers=staff.manager)).json()
    done = [t for t in state["tasks"] if t["kind"] == "review_new_information"]
    assert len(done) == 100 and all(t["status"] == "completed" for t in done)
    async with live_api.pool.acquire() as conn:
        closes = await conn.fetchval(
            "SELECT count(*) FROM audit_event WHERE workflow_id = $1 AND kind = 'task_completed'",
            f"referral-{referral_id}",
        )
    assert closes == 100
