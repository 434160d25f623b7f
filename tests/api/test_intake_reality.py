"""Intakes as contacts really arrive (issue 16, item 5) and dates that make sense (issue 15,
item 7), over HTTP: an anonymous referrer, an unborn baby without a due date and a child whose
date of birth nobody knows are taken in; nonsense is refused 422 naming the field."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.settings import Settings
from domain.editions import DEFAULT_POLICY_VERSION, get_policy
from tests.api.conftest import TEST_SECRET, LiveApi, Staff

Json = dict[str, Any]
NOW = datetime.now(UTC)
RULES = get_policy(DEFAULT_POLICY_VERSION).intake


def intake(child: Json | None = None, **changes: Any) -> Json:
    body: Json = {
        "received_at": (NOW - timedelta(minutes=5)).isoformat(),
        "source": "3B",
        "referrer": {"name": "H Visitor", "phone": "0100 000 000"},
        "child": child or {"name": "Ava Brown", "date_of_birth": "2022-01-05", "address": "7 Lane"},
        "concern": "Home is cold and there is little food.",
        "categories": ["neglect"],
        "consent": "given",
    }
    body.update(changes)
    return body


async def accepted(api: LiveApi, body: Json) -> Json:
    answer = await api.client.post(
        "/referrals",
        json=body,
        headers={**api.staff.practitioner, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    page = await api.client.get(answer.json()["url"], headers=api.staff.manager)
    assert page.status_code == 200 and page.json()["stage"] == "screening"
    return dict(page.json()["intake"])


async def test_an_anonymous_contact_is_taken_in_without_contact_details(
    live_api: LiveApi,
) -> None:
    taken = await accepted(live_api, intake(source="9", referrer={}))
    assert taken["referrer"] == {"name": None, "organisation": None, "phone": None, "email": None}


async def test_an_unborn_baby_without_a_due_date_and_a_child_of_unknown_age_are_taken_in(
    live_api: LiveApi,
) -> None:
    unborn = await accepted(live_api, intake({"name": "Unborn Brown", "unborn": True,
                                              "address": "7 Lane"}))  # fmt: skip
    assert unborn["child"]["unborn"] is True and unborn["child"]["expected_due_date"] is None
    guessed = await accepted(
        live_api,
        intake({"name": "Kai Green", "age_estimate_years": 9, "address": "2 Hill Road"}),
    )
    assert guessed["child"]["age_estimate_years"] == 9
    assert guessed["child"]["date_of_birth"] is None
    due = (NOW + timedelta(days=90)).date().isoformat()
    expected = await accepted(
        live_api, intake({"name": "Baby White", "expected_due_date": due, "address": "4 Row"})
    )
    assert expected["child"]["expected_due_date"] == due


def _child(**fields: Any) -> Json:
    return {"name": "Ava Brown", "address": "7 Lane", **fields}


def _iso(moment: datetime | date) -> str:
    return moment.isoformat()


REFUSED = [
    pytest.param(intake(received_at="0001-01-01T00:00:00Z"), "received_at", id="year-1"),
    pytest.param(intake(received_at="1970-01-01T00:00:00Z"), "received_at", id="1970"),
    pytest.param(
        intake(received_at=_iso(NOW - timedelta(days=RULES.received_within_days + 1))),
        "received_at",
        id="older-than-the-window",
    ),
    pytest.param(
        intake(received_at=_iso(NOW + timedelta(minutes=RULES.future_grace_minutes + 5))),
        "received_at",
        id="future",
    ),
    pytest.param(intake(_child(date_of_birth="2100-01-01")), "child.date_of_birth", id="dob-2100"),
    pytest.param(intake(_child(date_of_birth="9999-12-31")), "child.date_of_birth", id="dob-9999"),
    pytest.param(intake(_child(date_of_birth="1899-12-31")), "child.date_of_birth", id="dob-1899"),
    pytest.param(
        intake(_child(expected_due_date=_iso((NOW + timedelta(days=400)).date()))),
        "child.expected_due_date",
        id="due-in-13-months",
    ),
    pytest.param(
        intake(_child(expected_due_date=_iso((NOW - timedelta(days=120)).date()))),
        "child.expected_due_date",
        id="due-months-ago",
    ),
    pytest.param(
        {**intake(), "child": None, "children": [_child(date_of_birth="2100-01-01")]},
        "children.0.date_of_birth",
        id="second-form-dob",
    ),
    pytest.param(
        intake(household=[{"name": "Al", "relationship": "father", "date_of_birth": "2999-01-01"}]),
        "household.0.date_of_birth",
        id="household-dob",
    ),
    pytest.param(intake(referrer={"name": "A Nurse"}), "referrer.phone", id="unreachable"),
    pytest.param(intake(referrer={"phone": "0100"}), "referrer.name", id="nameless"),
    pytest.param(intake(_child()), "child", id="no-date-nor-estimate"),
    pytest.param(intake(_child(unborn=True, date_of_birth="2020-01-01")), "child", id="unborn-dob"),
    pytest.param({**intake(), "children": [_child(date_of_birth="2020-01-01")]}, "children",
                 id="child-and-children"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field"), REFUSED)
async def test_nonsense_is_refused_naming_the_field(
    api_client: httpx.AsyncClient, body: Json, field: str
) -> None:
    staff = Staff(Settings(auth_secret=TEST_SECRET, dev_mode=True))
    answer = await api_client.post("/referrals", json=body, headers=staff.practitioner)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in [d["field"] for d in error["details"]], error
