"""The audit programme over HTTP: a manager draws March 2026's sample (closed cases only, the
rules' cases always in, nobody given a case they worked, the same seed drawing the same cases),
an auditor fills in the form, a second auditor disagrees and the disagreement is kept, and a
learning action is raised and closed."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from api.auth import StaffRole
from core.logs import configure_logging
from core.settings import LogFormat, Settings
from domain.quality import Question
from tests.api.conftest import LiveApi
from tests.store.performance.rows import Rows, mar

MANAGERS = ["mo.manager", "ann.auditor", "ben.auditor"]


@dataclass
class March:
    re_referral: UUID
    exploited: UUID
    top_rung: UUID
    worked_by_mo: set[UUID]
    open_case: UUID
    april_case: UUID


async def add_march(pool: asyncpg.Pool) -> March:
    """Twelve cases closed in March 2026 (three the rules always include), one still open and
    one closed in April; mo.manager decided half of March's."""
    async with pool.acquire() as conn:
        rows = Rows(conn)
        plain = [
            await rows.referral(mar(d, 10), closed_at=mar(d + 1, 10), outcome="advice")
            for d in range(2, 11)
        ]
        re_referral = await rows.referral(mar(3, 9), closed_at=mar(4, 9), re_referral=True)
        exploited = await rows.referral(
            mar(5, 9), closed_at=mar(9, 9), exploitation_risk="significant"
        )
        top_rung = await rows.referral(mar(6, 9), closed_at=mar(12, 9), escalation_level=3)
        open_case = await rows.referral(mar(6, 11))
        april_case = await rows.referral(mar(30, 11), closed_at=mar(30, 11).replace(month=4))
        worked = {*plain[::2], re_referral}
        for referral in worked:
            await rows.task(
                referral, "decision", mar(20, 10), team="front_door_managers",
                status="completed", completed_by="mo.manager",
            )  # fmt: skip
    return March(re_referral, exploited, top_rung, worked, open_case, april_case)


async def draw(api: LiveApi, **body: Any) -> Any:
    response = await api.client.post(
        "/audits/samples",
        json={"month": "2026-03", "auditors": MANAGERS, **body},
        headers=api.staff.manager,
    )
    assert response.status_code == 201, response.text
    return response.json()


def form(grade: str = "good") -> dict[str, Any]:
    return {
        "answers": [
            {"question": q.value, "grade": grade, "evidence": f"Seen alone at school ({q.value})"}
            for q in Question
        ],
        "overall_grade": grade,
        "rationale": "Timely, curious and proportionate work.",
    }


async def test_the_sample_holds_what_the_rules_demand_and_the_seed_repeats_it(
    live_api: LiveApi,
) -> None:
    march = await add_march(live_api.pool)
    sample = await draw(live_api, rules={"random_share": 0.2, "nfa_share": 0.25})
    drawn = {UUID(a["referral_id"]): a for a in sample["audits"]}
    assert sample["candidates"] == 12
    assert {march.re_referral, march.exploited, march.top_rung} <= set(drawn)
    assert march.open_case not in drawn and march.april_case not in drawn
    assert "re_referral" in drawn[march.re_referral]["reasons"]
    for referral, audit in drawn.items():
        if referral in march.worked_by_mo:
            assert audit["auditor"] != "mo.manager"

    again = await draw(live_api, seed=sample["seed"], rules=sample["rules"])
    assert [(a["referral_id"], a["auditor"], a["to_moderate"]) for a in again["audits"]] == [
        (a["referral_id"], a["auditor"], a["to_moderate"]) for a in sample["audits"]
    ]


async def test_only_managers_draw_and_a_bad_month_is_named(live_api: LiveApi) -> None:
    auditor = live_api.staff.headers("ann.auditor", StaffRole.auditor)
    refused = await live_api.client.post(
        "/audits/samples", json={"month": "2026-03"}, headers=auditor
    )
    assert refused.status_code == 403
    bad = await live_api.client.post(
        "/audits/samples", json={"month": "2026-13"}, headers=live_api.staff.manager
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "month"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line the test writes, whatever an earlier test left configured."""
    stream = io.StringIO()
    configure_logging(Settings(log_format=LogFormat.JSON), stream=stream)
    yield stream
    configure_logging(Settings(log_format=LogFormat.JSON))


async def test_the_form_a_kept_disagreement_and_a_learning_action(
    live_api: LiveApi, captured_logs: io.StringIO
) -> None:
    march = await add_march(live_api.pool)
    sample = await draw(live_api, rules={"moderation_share": 1.0})
    audit = next(a for a in sample["audits"] if a["referral_id"] == str(march.exploited))
    auditor = live_api.staff.headers(audit["auditor"], StaffRole.auditor)
    second = next(m for m in MANAGERS if m != audit["auditor"] and m != "mo.manager")
    moderator = live_api.staff.headers(second, StaffRole.auditor)
    url = f"/audits/{audit['audit_id']}"

    mine = await live_api.client.get("/audits", headers=auditor)
    assert audit["audit_id"] in [a["audit_id"] for a in mine.json()]

    partial = form()
    partial["answers"] = partial["answers"][:-1]
    missing = await live_api.client.put(f"{url}/answers", json=partial, headers=auditor)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "answers"
    not_theirs = await live_api.client.put(f"{url}/answers", json=form(), headers=moderator)
    assert not_theirs.status_code == 403
    saved = await live_api.client.put(f"{url}/answers", json=form("good"), headers=auditor)
    assert saved.status_code == 204, saved.text

    async with live_api.pool.acquire() as conn:
        stored = await conn.fetch("SELECT evidence FROM audit_answer")
    assert stored and all(b"Seen alone" not in row["evidence"] for row in stored)

    self_moderation = await live_api.client.post(
        f"{url}/moderation", json={"grade": "good", "agrees": True}, headers=auditor
    )
    assert self_moderation.status_code == 403
    unresolved = await live_api.client.post(
        f"{url}/moderation", json={"grade": "requires_improvement", "agrees": False},
        headers=moderator,
    )  # fmt: skip
    assert unresolved.status_code == 422
    assert unresolved.json()["error"]["details"][0]["field"] == "resolved_grade"
    disagreement = {
        "grade": "requires_improvement",
        "agrees": False,
        "resolved_grade": "requires_improvement",
        "resolution": "Exploitation was named but no MACE discussion was sought.",
    }
    moderated = await live_api.client.post(
        f"{url}/moderation", json=disagreement, headers=moderator
    )
    assert moderated.status_code == 201, moderated.text
    twice = await live_api.client.post(f"{url}/moderation", json=disagreement, headers=moderator)
    assert twice.status_code == 409
    resave = await live_api.client.put(f"{url}/answers", json=form("outstanding"), headers=auditor)
    assert resave.status_code == 409

    view = (await live_api.client.get(url, headers=auditor)).json()
    assert view["status"] == "moderated"
    assert view["overall_grade"] == "good"  # the first auditor's grade is kept
    assert view["moderation"]["grade"] == "requires_improvement"
    assert view["moderation"]["agrees"] is False
    assert view["moderation"]["resolution"] == disagreement["resolution"]
    assert view["answers"][0]["evidence"].startswith("Seen alone")
    assert view["case"]["referral_id"] == str(march.exploited)
    logged = captured_logs.getvalue()
    assert "audit_submitted" in logged  # the logs were read
    for written in ("Seen alone", "Timely, curious", "no MACE discussion"):  # never in the logs
        assert written not in logged

    action = await live_api.client.post(
        f"{url}/actions",
        json={
            "action": "Refresh MACE training",
            "owner": "pat.practitioner",
            "due_on": "2026-04-30",
        },
        headers=auditor,
    )
    assert action.status_code == 201, action.text
    assert action.json()["overdue"] is True  # due in the past: this test runs later
    done = await live_api.client.patch(
        f"/actions/{action.json()['action_id']}", json={"status": "done"},
        headers=live_api.staff.practitioner,
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done" and done.json()["overdue"] is False


@pytest.mark.parametrize("role", [StaffRole.practitioner, StaffRole.oversight])
async def test_who_may_not_open_an_audit(live_api: LiveApi, role: StaffRole) -> None:
    march = await add_march(live_api.pool)
    sample = await draw(live_api)
    audit = next(a for a in sample["audits"] if a["referral_id"] == str(march.top_rung))
    response = await live_api.client.get(
        f"/audits/{audit['audit_id']}", headers=live_api.staff.headers("someone", role)
    )
    assert response.status_code == 403


async def test_by_default_the_auditors_are_those_who_signed_in_to_audit(live_api: LiveApi) -> None:
    march = await add_march(live_api.pool)
    for user, role in (
        ("ann.auditor", StaffRole.auditor),
        ("pat.practitioner", StaffRole.practitioner),
    ):
        await live_api.client.get("/audits" if role is StaffRole.auditor else "/tasks",
                                  headers=live_api.staff.headers(user, role))  # fmt: skip
    response = await live_api.client.post(
        "/audits/samples", json={"month": "2026-03"}, headers=live_api.staff.manager
    )
    assert response.status_code == 201, response.text
    auditors = {a["referral_id"]: a["auditor"] for a in response.json()["audits"]}
    assert set(auditors.values()) <= {"ann.auditor", "mo.manager"}
    assert auditors[str(march.re_referral)] == "ann.auditor"  # mo.manager decided it


async def test_a_draw_sent_again_with_its_idempotency_key_draws_one_sample(
    live_api: LiveApi,
) -> None:
    """The same request with the same Idempotency-Key (after the first, or at the same time)
    answers with the first sample; the key with another body is a 422; without a key each
    request draws (as before)."""
    await add_march(live_api.pool)
    body = {"month": "2026-03", "auditors": MANAGERS}

    async def send(key: str | None, **more: Any) -> Any:
        headers = {**live_api.staff.manager, **({"Idempotency-Key": key} if key else {})}
        return await live_api.client.post("/audits/samples", json={**body, **more}, headers=headers)

    async def samples() -> int:
        async with live_api.pool.acquire() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM audit_sample"))

    first = await send("draw-1")
    assert first.status_code == 201, first.text
    again = await send("draw-1")
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert await samples() == 1

    other = await send("draw-1", seed=7)
    assert other.status_code == 422, other.text
    assert other.json()["error"]["details"][0]["field"] == "Idempotency-Key"

    together = await asyncio.gather(send("draw-2"), send("draw-2"))
    assert [r.status_code for r in together] == [201, 201], [r.text for r in together]
    assert together[0].json()["sample_id"] == together[1].json()["sample_id"]
    assert together[0].json()["sample_id"] != first.json()["sample_id"]
    assert await samples() == 2

    # Another manager's same key is theirs alone: a sample of their own.
    theirs = await live_api.client.post(
        "/audits/samples",
        json=body,
        headers={**live_api.staff.headers("sue.manager", StaffRole.manager),
                 "Idempotency-Key": "draw-1"},
    )  # fmt: skip
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["sample_id"] != first.json()["sample_id"]

    unkeyed = [await send(None), await send(None)]
    assert len({r.json()["sample_id"] for r in unkeyed}) == 2
    assert await samples() == 5
