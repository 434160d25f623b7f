"""Issue 19's API findings, replayed as an attacker (or a careless client) would, over HTTP
against the API with a real worker, Temporal and PostgreSQL. Each test did what the finding
says on the code before the fix; each now fails to."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import APIRouter
from google.protobuf.json_format import MessageToDict
from pydantic import ValidationError
from temporalio.client import Client

from api.app import create_app
from api.auth import StaffRole
from api.deps import CurrentUser
from core.settings import Settings
from domain.tasks import Agency
from tests.api.conftest import (
    TEST_SECRET,
    ClientFactory,
    LiveApi,
    api_client_for,
    live_api,
    served_api,
)
from tests.api.test_tasks import SCREENING, complete, take_in, wait_for_task
from tests.conftest import TEST_CONVERTER
from tests.workflows.driver import referral_details

# The API fixtures, from the API's tests.
__all__ = ["api_client_for", "live_api", "served_api"]

Json = dict[str, Any]


def forged(settings: Settings, **claims: Any) -> str:
    """A token correctly signed with the API's development key, saying what we like."""
    now = int(time.time())
    body = {
        "sub": "mo.manager", "name": "Mo", "roles": ["manager"], "iss": settings.auth_issuer,
        "aud": settings.auth_audience, "iat": now, "exp": now + 600, **claims,
    }  # fmt: skip
    return jwt.encode(body, TEST_SECRET.get_secret_value(), algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def accesses(live_api: LiveApi, route: str) -> list[Json]:
    async with live_api.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT user_id, route, referral_id, status, client_ip FROM access_event "
            "WHERE route = $1 ORDER BY access_id",
            route,
        )
    return [dict(row) for row in rows]


# ---- 2: a credential in a logged address ---------------------------------------------------


@pytest.mark.timeout(120)
async def test_2_a_token_in_the_dashboard_address_opens_nothing_and_is_not_logged(
    served_api: str, live_api: LiveApi, tmp_path: Path
) -> None:
    token = live_api.staff.manager["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient() as client:
        opened = await client.get(f"{served_api}/dashboard", params={"token": token})
        code = await client.get(
            f"{served_api}/sign-in/callback", params={"code": "one-time-code-xyz", "state": "s"}
        )
    assert opened.status_code == 401 and "set-cookie" not in opened.headers
    assert code.status_code == 400
    log = (tmp_path / "api.log").read_text()
    assert "/dashboard" in log and "/sign-in/callback" in log  # uvicorn logged both requests
    assert token not in log and "one-time-code-xyz" not in log


# ---- 3: idempotency keys shared across callers and bodies ----------------------------------


async def test_3_the_same_key_from_two_callers_lands_twice_and_a_new_body_is_refused(
    live_api: LiveApi,
) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await take_in(live_api)
    screening = await wait_for_task(live_api, staff.practitioner, referral_id, "screening")
    done = await complete(live_api, staff.practitioner, screening["task_id"], SCREENING)
    assert done.status_code == 200
    police = staff.agency(Agency.police)
    path = f"/referrals/{referral_id}/information"
    key = {"Idempotency-Key": "shared-key-1"}

    from_police = await api.post(
        path, json={"text": "Arrested the father.", "source": "police"}, headers=police | key
    )
    from_school = await api.post(
        path,
        json={"text": "The child disclosed at school.", "source": "school"},
        headers=staff.practitioner | key,
    )
    again = await api.post(
        path, json={"text": "Arrested the father.", "source": "police"}, headers=police | key
    )
    changed = await api.post(
        path, json={"text": "Something else.", "source": "police"}, headers=police | key
    )

    assert from_police.status_code == 200 and from_school.status_code == 200
    assert again.status_code == 200 and again.json() == from_police.json()
    assert changed.status_code == 422
    assert changed.json()["error"]["details"][0]["field"] == "Idempotency-Key"
    case = (await api.get(f"/referrals/{referral_id}", headers=staff.manager)).json()
    texts = sorted(item["text"] for item in case["information"])
    assert texts == ["Arrested the father.", "The child disclosed at school."]


async def test_3_a_completion_key_reused_with_another_body_is_refused(live_api: LiveApi) -> None:
    staff = live_api.staff
    referral_id = await take_in(live_api)
    task = await wait_for_task(live_api, staff.practitioner, referral_id, "screening")
    first = await complete(live_api, staff.practitioner, task["task_id"], SCREENING, key="k-1")
    other = {**SCREENING, "rag": "red", "rationale": "Changed my mind."}
    changed = await complete(live_api, staff.practitioner, task["task_id"], other, key="k-1")
    same = await complete(live_api, staff.practitioner, task["task_id"], SCREENING, key="k-1")
    assert first.status_code == 200
    assert changed.status_code == 422
    assert changed.json()["error"]["details"][0]["field"] == "Idempotency-Key"
    assert same.status_code == 200 and same.json() == first.json()


# ---- 4: claims and assignment --------------------------------------------------------------


async def test_4_only_the_holder_or_a_manager_completes_and_assignment_needs_known_staff(
    live_api: LiveApi,
) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await take_in(live_api)
    task = await wait_for_task(live_api, staff.practitioner, referral_id, "screening")
    path = f"/tasks/{task['task_id']}"
    ann = staff.headers("ann.smith", StaffRole.practitioner)
    assert (await api.post(f"{path}/claim", headers=ann)).status_code == 200

    stolen = await complete(live_api, staff.practitioner, task["task_id"], SCREENING)
    assert stolen.status_code == 403 and "held by ann.smith" in stolen.text

    await api.get("/tasks", headers=staff.agency(Agency.police, "pc.one"))  # signs in once
    to_police = await api.post(f"{path}/assign", json={"user_id": "pc.one"}, headers=staff.manager)
    to_nobody = await api.post(f"{path}/assign", json={"user_id": "ghost"}, headers=staff.manager)
    for refused in (to_police, to_nobody):
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["field"] == "user_id"
    assert (await api.post(f"{path}/claim", headers=ann)).status_code == 200  # still ann's

    by_manager = await complete(live_api, staff.manager, task["task_id"], SCREENING)
    assert by_manager.status_code == 200


# ---- 5: gaps in the access audit -----------------------------------------------------------


async def test_5_dashboard_reads_and_decodes_are_recorded_with_their_case(
    live_api: LiveApi,
) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await take_in(live_api)
    assert (await api.get("/dashboard", headers=staff.manager)).status_code == 200
    assert [a["user_id"] for a in await accesses(live_api, "/dashboard")] == ["mo.manager"]

    target = staff.settings.temporal_address
    assert target is not None
    engineer = await Client.connect(target, data_converter=TEST_CONVERTER)
    history = await engineer.get_workflow_handle(f"referral-{referral_id}").fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes.input
    payloads = {"payloads": [MessageToDict(p) for p in started.payloads]}
    decoded = await api.post("/codec/decode", json=payloads, headers=staff.engineer)
    assert decoded.status_code == 200
    recorded = await accesses(live_api, "/codec/decode")
    assert [str(a["referral_id"]) for a in recorded] == [referral_id]


@pytest.fixture
async def failing_api(live_api: LiveApi) -> AsyncIterator[httpx.AsyncClient]:
    """The API with one route that fails unexpectedly for a signed-in caller, answering 500."""
    settings = live_api.staff.settings.model_copy(update={"trusted_proxies": ["127.0.0.9"]})
    app = create_app(settings)
    boom = APIRouter()

    @boom.get("/referrals/{referral_id}/boom")
    async def fail(referral_id: uuid.UUID, user: CurrentUser) -> None:
        raise ZeroDivisionError("a bug")

    app.include_router(boom)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://frontdoor") as client:
            yield client


async def test_5_a_request_ending_in_500_is_recorded(
    live_api: LiveApi, failing_api: httpx.AsyncClient
) -> None:
    referral_id = uuid.uuid4()
    failed = await failing_api.get(f"/referrals/{referral_id}/boom", headers=live_api.staff.manager)
    assert failed.status_code == 500
    [recorded] = await accesses(live_api, "/referrals/{referral_id}/boom")
    assert recorded["status"] == 500 and recorded["referral_id"] == referral_id


async def test_5_forwarded_addresses_are_believed_only_from_configured_proxies(
    live_api: LiveApi, api_client_for: ClientFactory
) -> None:
    api, staff = live_api.client, live_api.staff
    spoofed = await api.get(
        "/tasks", headers=staff.practitioner | {"X-Forwarded-For": "203.0.113.7"}
    )
    assert spoofed.status_code == 200
    assert [a["client_ip"] for a in await accesses(live_api, "/tasks")] == ["127.0.0.1"]

    behind_proxy = staff.settings.model_copy(update={"trusted_proxies": ["127.0.0.1/32"]})
    async with api_client_for(behind_proxy) as proxied:
        forwarded = await proxied.get(
            "/tasks",
            headers=staff.practitioner | {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
        )
    assert forwarded.status_code == 200
    assert (await accesses(live_api, "/tasks"))[-1]["client_ip"] == "203.0.113.9"


# ---- 6: bad token content and configuration -------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "named"),
    [
        ({"sub": "mo\nmanager"}, "sub"),
        ({"sub": "mo\x00manager"}, "sub"),
        ({"name": "Mo\u2028Manager"}, "name"),
        ({"exp": 10**20}, "exp"),
        ({"exp": int(time.time()) + 13 * 3600}, "exp"),
    ],
)
async def test_6_odd_claims_are_refused_with_401_naming_the_claim(
    live_api: LiveApi, claims: Json, named: str
) -> None:
    token = forged(live_api.staff.settings, **claims)
    response = await live_api.client.get("/tasks", headers=bearer(token))
    assert response.status_code == 401
    assert named in response.json()["error"]["message"]


def test_6_an_empty_signing_key_stops_the_api_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDOOR_AUTH_SECRET", "")
    with pytest.raises(ValidationError, match="FRONTDOOR_AUTH_SECRET"):
        Settings()


# ---- 7: unbounded lists and odd strings ----------------------------------------------------


def _intake(**child: Any) -> Json:
    body = referral_details(datetime.now(UTC) - timedelta(minutes=5)).model_dump(mode="json")
    body["child"] = {**body["child"], **child}
    return body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"child": {"name": "\u200b\u200b\u200b"}}, "child.name"),
        ({"child": {"nhs_number": "9434765918"}}, "child.nhs_number"),
        ({"child": {"nhs_number": "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669"}},
         "child.nhs_number"),
        ({"household": [{"name": "Pat", "relationship": "mother",
                         "parental_responsibility": "yes"}]},
         "household.0.parental_responsibility"),
    ],
)  # fmt: skip
async def test_7_odd_strings_and_coerced_booleans_are_refused(
    live_api: LiveApi, change: Json, field: str
) -> None:
    body = _intake(**change.pop("child", {}))
    body.update(change)
    response = await live_api.client.post(
        "/referrals", json=body, headers=live_api.staff.practitioner
    )
    assert response.status_code == 422, response.text
    assert field in {d["field"] for d in response.json()["error"]["details"]}


async def test_7_full_width_nhs_digits_are_read_as_digits(live_api: LiveApi) -> None:
    body = _intake(nhs_number="\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19")
    created = await live_api.client.post(
        "/referrals", json=body, headers=live_api.staff.practitioner
    )
    assert created.status_code == 201
    case = await live_api.client.get(
        f"/referrals/{created.json()['referral_id']}", headers=live_api.staff.manager
    )
    assert case.json()["intake"]["child"]["nhs_number"] == "9434765919"


async def test_7_a_huge_list_item_is_refused(live_api: LiveApi) -> None:
    staff = live_api.staff
    referral_id = await take_in(live_api)
    task = await wait_for_task(live_api, staff.practitioner, referral_id, "screening")
    done = await complete(live_api, staff.practitioner, task["task_id"], SCREENING)
    assert done.status_code == 200
    police = staff.agency(Agency.police)
    check = await wait_for_task(live_api, police, referral_id, "agency_check", "police")
    huge = {
        "kind": "agency_check", "known_to_agency": True, "information": "Known.",
        "responder_name": "PC", "risk_indicators": ["x" * 200_000],
    }  # fmt: skip
    response = await complete(live_api, police, check["task_id"], huge)
    assert response.status_code == 422
    assert "result.agency_check.risk_indicators.0" in {
        d["field"] for d in response.json()["error"]["details"]
    }


# ---- 8: headers ------------------------------------------------------------------------------


async def test_8_cors_only_on_the_codec_and_no_store_on_personal_data(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await take_in(live_api)
    ui = staff.settings.temporal_ui_url()
    case = await api.get(f"/referrals/{referral_id}", headers=staff.manager | {"Origin": ui})
    assert case.status_code == 200
    assert "access-control-allow-origin" not in case.headers
    assert case.headers["cache-control"] == "no-store"
    preflight = await api.options(
        f"/referrals/{referral_id}",
        headers={"Origin": ui, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    codec = await api.options(
        "/codec/decode", headers={"Origin": ui, "Access-Control-Request-Method": "POST"}
    )
    assert codec.headers["access-control-allow-origin"] == ui


async def test_8_the_docs_load_swagger_ui_from_the_api_itself(live_api: LiveApi) -> None:
    api = live_api.client
    docs = await api.get("/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" not in docs.text and "unpkg" not in docs.text
    assert "/static/swagger-ui/swagger-ui-bundle.js" in docs.text
    script = await api.get("/static/swagger-ui/swagger-ui-bundle.js")
    style = await api.get("/static/swagger-ui/swagger-ui.css")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text
    assert style.status_code == 200 and ".swagger-ui" in style.text


async def test_8_the_session_cookie_is_secure_as_the_settings_say(
    live_api: LiveApi, api_client_for: ClientFactory
) -> None:
    assert Settings(dev_mode=False).secure_cookies()
    secure = live_api.staff.settings.model_copy(update={"cookie_secure": True})
    async with api_client_for(secure) as api:
        form = await api.get("/sign-in")
        assert "Secure" in form.headers["set-cookie"]
        csrf = form.cookies["frontdoor_csrf"]
        api.cookies.clear()  # this client speaks plain HTTP: hand the Secure cookie back by hand
        api.cookies.set("frontdoor_csrf", csrf)
        signed_in = await api.post(
            "/sign-in", data={"csrf": csrf, "user_id": "mo.manager", "role": "manager"}
        )
    assert signed_in.status_code == 303
    assert "Secure" in signed_in.headers["set-cookie"]
