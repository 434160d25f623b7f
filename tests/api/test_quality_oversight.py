"""The executive oversight group over HTTP: it sees the measures, the targets, the audit results
and the board pack, whose figures are `/performance`'s for the same month; and it gets 403 on
every other route, each of which can reach a child's details."""

from __future__ import annotations

import re
import uuid

from api.app import create_app
from api.auth import StaffRole
from tests.api.conftest import LiveApi
from tests.api.test_performance import add_known_data
from tests.api.test_quality_audits import add_march, draw, form

AGGREGATES = {
    ("GET", "/performance"),
    ("GET", "/dashboard"),
    ("GET", "/performance/audits"),
    ("GET", "/performance/targets"),
    ("GET", "/board-pack/{month}"),
    ("GET", "/improvement-plan"),
}
"""What the oversight group may open: counts, percentages, codes."""
PUBLIC = re.compile(r"^/(healthz|readyz|metrics|sign-in|sign-out|docs|openapi|static)")
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def oversight(api: LiveApi) -> dict[str, str]:
    return api.staff.headers("ivy.independent", StaffRole.oversight)


async def test_oversight_gets_403_on_every_route_with_a_childs_details(live_api: LiveApi) -> None:
    # Every route the app documents (all of them: none is left out of the schema).
    paths = create_app(live_api.staff.settings).openapi()["paths"]
    checked = []
    for route, operations in paths.items():
        if PUBLIC.match(route):
            continue
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route)
        for method in sorted(m.upper() for m in operations):
            if (method, route) in AGGREGATES:
                continue
            response = await live_api.client.request(
                method, path, json={}, headers={**oversight(live_api), "Idempotency-Key": "k"}
            )
            assert response.status_code == 403, (method, route, response.text)
            checked.append((method, route))
    assert ("GET", "/referrals/{referral_id}") in checked
    assert ("GET", "/audits/{audit_id}") in checked
    assert len(checked) >= 15


async def test_oversight_sees_the_measures_targets_and_audits(live_api: LiveApi) -> None:
    for path in ("/performance", "/performance/targets", "/performance/audits", "/dashboard"):
        response = await live_api.client.get(path, params=MARCH, headers=oversight(live_api))
        assert response.status_code == 200, (path, response.text)


async def test_the_board_pack_equals_performance_for_the_month(live_api: LiveApi) -> None:
    await add_known_data(live_api.pool)
    measures = (
        await live_api.client.get("/performance", params=MARCH, headers=oversight(live_api))
    ).json()
    targets = (
        await live_api.client.get("/performance/targets", params=MARCH, headers=oversight(live_api))
    ).json()
    pack = await live_api.client.get("/board-pack/2026-03", headers=oversight(live_api))
    assert pack.status_code == 200
    assert "<script" not in pack.text and "@media print" in pack.text
    page = pack.text

    def shown(element: str) -> str:
        match = re.search(rf'id="{element}".*?data-value="([^"]*)"', page, re.DOTALL)
        assert match, element
        return match.group(1)

    one_day = measures["decisions"]["period"]["within_one_working_day"]["percent"]
    assert float(shown("target-decisions_within_one_working_day")) == one_day
    assert (
        float(shown("target-children_seen"))
        == measures["visits"]["period"]["child_seen"]["percent"]
    )
    assert int(shown("figure-contacts")) == measures["decisions"]["period"]["contacts"] == 5
    assert int(shown("figure-referrals")) == measures["decisions"]["period"]["referrals"] == 2
    assert int(shown("figure-overdue")) == measures["overdue"]["total"]
    by_key = {t["key"]: t for t in targets["targets"]}
    assert by_key["decisions_within_one_working_day"]["value"] == one_day
    assert by_key["decisions_within_one_working_day"]["rag"] in ("red", "amber", "green")
    for target in targets["targets"]:
        assert f'href="{target["definition"]}"' in page
    refused = await live_api.client.get("/board-pack/2026-03", headers=live_api.staff.practitioner)
    assert refused.status_code == 403
    bad = await live_api.client.get("/board-pack/2026-3", headers=oversight(live_api))
    assert bad.status_code == 422


async def test_audit_results_by_month_and_question_and_actions_overdue(live_api: LiveApi) -> None:
    await add_march(live_api.pool)
    sample = await draw(live_api, rules={"moderation_share": 1.0})
    audit = sample["audits"][0]
    auditor = live_api.staff.headers(audit["auditor"], StaffRole.auditor)
    url = f"/audits/{audit['audit_id']}"
    assert (
        await live_api.client.put(f"{url}/answers", json=form("good"), headers=auditor)
    ).status_code == 204
    await live_api.client.post(
        f"{url}/actions",
        json={
            "action": "Record the child's words",
            "owner": "pat.practitioner",
            "due_on": "2026-01-31",
        },
        headers=auditor,
    )
    results = (await live_api.client.get("/performance/audits", headers=oversight(live_api))).json()
    [month] = results["months"]
    assert month["overall"]["good"] == 1 and month["good_or_better_percent"] == 100.0
    assert month["by_question"]["child_seen"]["good"] == 1
    assert results["actions_open"] == 1 and results["actions_overdue"] == 1


async def test_the_improvement_plan_flags_overdue_actions_in_the_pack(live_api: LiveApi) -> None:
    manager = live_api.staff.manager
    late = await live_api.client.post(
        "/improvement-plan",
        json={
            "action": "Audit 20 cases a month",
            "owner": "head.of.service",
            "due_on": "2026-01-31",
        },
        headers=manager,
    )
    assert late.status_code == 201, late.text
    assert late.json()["overdue"] is True and late.json()["status"] == "not_started"
    done = await live_api.client.post(
        "/improvement-plan",
        json={"action": "Train managers in oversight", "owner": "hr.lead", "due_on": "2026-02-28"},
        headers=manager,
    )
    changed = await live_api.client.patch(
        f"/improvement-plan/{done.json()['action_id']}",
        json={"status": "done", "evidence": "42 of 45 managers trained (register)"},
        headers=manager,
    )
    assert changed.status_code == 200 and changed.json()["overdue"] is False
    refused = await live_api.client.post(
        "/improvement-plan",
        json={"action": "x", "owner": "y", "due_on": "2026-01-31"},
        headers=oversight(live_api),
    )
    assert refused.status_code == 403
    plan = (await live_api.client.get("/improvement-plan", headers=oversight(live_api))).json()
    assert (len(plan["actions"]), plan["done"], plan["overdue"]) == (2, 1, 1)
    page = (await live_api.client.get("/board-pack/2026-03", headers=oversight(live_api))).text
    assert 'id="plan-overdue" data-value="1"' in page
    assert "42 of 45 managers trained" in page
