"""`GET /performance` over HTTP: who may ask, the JSON and CSV of a known data set, and
parameters checked with errors that name the field."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from tests.api.conftest import LiveApi
from tests.store.performance.rows import Rows, mar

PARAMS = {"from": "2026-03-02", "to": "2026-03-15"}


@dataclass
class Known:
    """What `add_known_data` put in, for the assertions."""

    overdue_referral: UUID


async def add_known_data(pool: asyncpg.Pool) -> Known:
    """Five contacts in the fortnight of 2 March 2026, all decided: four within their RAG
    timescale (80 %; 75 % in the first week); two became referrals, one of them decided within
    one working day (50 %); two visits, one seen on time (50 %); two tasks overdue now, one
    escalated to level 2; police checks 1 on time of 2; no referrer owed an acknowledgement."""
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        rows = Rows(conn)
        for day in (2, 3, 4):
            referral = await rows.referral(
                mar(day, 10),
                mash_decision_due_at=mar(day + 1, 10),
                mash_decided_at=mar(day + 1, 9),
                closed_at=mar(day + 1, 11),
                outcome="advice",
            )
        await rows.check(
            referral, "police", mar(4, 11), mar(4, 17), returned_at=mar(4, 12), on_time=True
        )
        # A MASH decision two hours late made it a referral on Friday 12:00; the response,
        # due Monday 12:00, was decided at 12:30.
        late = await rows.referral(
            mar(5, 10),
            mash_decision_due_at=mar(6, 10),
            mash_decided_at=mar(6, 12),
            referral_at=mar(6, 12),
            referral_decided_at=mar(9, 12, 30),
            outcome="assessment",
            visit_due_at=mar(13, 12),
            child_seen_at=mar(13, 11),
            stage="closed",
            closed_at=mar(13, 12),
        )
        await rows.check(
            late, "police", mar(5, 11), mar(5, 17), returned_at=mar(6, 9), on_time=False
        )
        waiting = await rows.referral(
            mar(9, 10),
            mash_decision_due_at=mar(9, 14),
            mash_decided_at=mar(9, 13),
            referral_at=mar(9, 13),
            referral_decided_at=mar(9, 13),
            outcome="immediate_protection",
            strategy_outcome="section_47",
            visit_due_at=mar(10, 13),
            child_seen_at=mar(11, 9),
            stage="visit",
        )
        await rows.task(waiting, "visit", now - timedelta(days=2), escalation_level=2)
        await rows.task(
            waiting, "strategy_discussion", now - timedelta(hours=3), team="front_door_managers"
        )
    return Known(overdue_referral=waiting)


async def test_only_managers_read_performance(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    assert (await api.get("/performance")).status_code == 401
    for outsider in (staff.practitioner, staff.engineer):
        response = await api.get("/performance", headers=outsider)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert (await api.get("/performance", headers=staff.manager)).status_code == 200


async def test_every_measure_of_a_known_data_set_as_json(live_api: LiveApi) -> None:
    await add_known_data(live_api.pool)

    response = await live_api.client.get(
        "/performance", params=PARAMS, headers=live_api.staff.manager
    )

    assert response.status_code == 200
    body = response.json()
    assert body["period"]["from"] == "2026-03-02" and body["period"]["to"] == "2026-03-15"
    assert body["period"]["weeks"] == ["2026-03-02", "2026-03-09"]
    decisions = body["decisions"]["period"]
    assert (decisions["contacts"], decisions["referrals"]) == (5, 2)
    assert decisions["within_rag_timescale"] == {
        "on_time": 4,
        "late": 1,
        "pending": 0,
        "percent": 80.0,
    }
    assert decisions["within_one_working_day"]["percent"] == 50.0
    assert body["decisions"]["weeks"][0]["within_rag_timescale"]["percent"] == 75.0
    assert body["visits"]["period"]["child_seen"]["percent"] == 50.0
    assert body["overdue"]["total"] == 2
    assert body["overdue"]["by_escalation_level"] == {"0": 1, "2": 1}
    assert body["agency_checks"]["agencies"][0]["returned_on_time"]["percent"] == 50.0
    assert body["conversion"]["period"]["responses"]["section_47"] == 1
    assert set(body) == {
        "period",
        "decisions",
        "time_to_decision",
        "recording_gap",
        "agency_checks",
        "agency_return_times",
        "visits",
        "after_handover",
        "overdue",
        "re_referrals",
        "conversion",
        "referrers",
        "exploitation_screening",
        "time_to_mace",
        "mace_actions",
        "nrm_referrals",
        "linked_children",
    }
    # The known data has no exploitation risk recorded, no MACE, NRM or link.
    assert body["exploitation_screening"]["period"]["screened"] == 0
    assert body["time_to_mace"]["period"]["within_deadline"]["percent"] is None
    assert body["mace_actions"]["overdue_now"] == 0
    assert body["linked_children"]["by_kind"] == {"place": 0, "adult": 0}


async def test_the_same_report_as_csv_one_number_a_row(live_api: LiveApi) -> None:
    await add_known_data(live_api.pool)

    response = await live_api.client.get(
        "/performance", params={**PARAMS, "format": "csv"}, headers=live_api.staff.manager
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "performance_2026-03-02_2026-03-15.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["measure", "breakdown", "week_start", "metric", "value"]
    assert ["decisions", "", "", "within_rag_timescale_percent", "80.0"] in rows
    assert ["decisions", "", "", "within_one_working_day_percent", "50.0"] in rows
    assert ["decisions", "", "2026-03-02", "within_rag_timescale_percent", "75.0"] in rows
    assert ["agency_checks", "police", "", "returned_on_time_percent", "50.0"] in rows
    assert ["overdue", "escalation_level:2", "", "overdue", "1"] in rows
    assert ["referrers", "", "2026-03-09", "told_percent", ""] in rows  # none due
    assert ["conversion", "", "", "responses_pending", "0"] in rows
    assert ["exploitation_screening", "", "", "by_risk_significant", "0"] in rows
    assert ["nrm_referrals", "", "2026-03-09", "within_deadline_percent", ""] in rows
    assert ["mace_actions", "", "", "overdue_now", "0"] in rows
    assert ["linked_children", "", "", "by_kind_adult", "0"] in rows


async def test_parameters_are_checked_and_errors_name_the_field(live_api: LiveApi) -> None:
    api, manager = live_api.client, live_api.staff.manager
    cases = [
        ({"from": "2026-03-16", "to": "2026-03-15"}, "from"),
        ({"from": "2020-01-01", "to": "2026-03-15"}, "to"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "1900-01-01", "to": "1900-02-01"}, "from"),
        ({"team": "Mary Smith"}, "team"),
        ({"format": "xml"}, "format"),
    ]
    for params, field in cases:
        response = await api.get("/performance", params=params, headers=manager)
        assert response.status_code == 422, params
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert [d["field"] for d in error["details"]] == [field], params


async def test_without_dates_the_report_covers_recent_weeks(live_api: LiveApi) -> None:
    response = await live_api.client.get("/performance", headers=live_api.staff.manager)
    weeks = response.json()["period"]["weeks"]
    assert len(weeks) == 13  # twelve whole weeks and the current one
