"""Every read and change through the API is recorded (who, role, what, when, from where), and
managers can see a case's whole trail; the record cannot be altered."""

from __future__ import annotations

import asyncpg
import pytest

from domain.tasks import Agency
from tests.api.conftest import LiveApi
from tests.api.test_referrals import intake_body


async def test_reads_and_changes_are_recorded_and_shown_to_managers(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    created = await api.post("/referrals", json=intake_body(), headers=staff.practitioner)
    referral_id = created.json()["referral_id"]
    await api.get(f"/referrals/{referral_id}", headers=staff.practitioner)
    await api.get("/tasks", headers=staff.agency(Agency.police))

    forbidden = await api.get(f"/referrals/{referral_id}/audit", headers=staff.practitioner)
    assert forbidden.status_code == 403
    trail = await api.get(f"/referrals/{referral_id}/audit", headers=staff.manager)
    assert trail.status_code == 200
    body = trail.json()
    assert {"referral_received", "task_opened"} <= {e["kind"] for e in body["events"]}
    reads = [
        a for a in body["accesses"]
        if a["user_id"] == "pat.practitioner" and a["route"] == "/referrals/{referral_id}"
    ]  # fmt: skip
    assert reads and reads[0]["method"] == "GET" and reads[0]["status"] == 200
    assert reads[0]["roles"] == ["practitioner"] and reads[0]["client_ip"]
    async with live_api.pool.acquire() as conn:
        listing = await conn.fetchval(
            "SELECT count(*) FROM access_event WHERE user_id = 'duty.police' AND route = '/tasks'"
        )
        forbidden_logged = await conn.fetchval(
            "SELECT count(*) FROM access_event WHERE status = 403 AND route LIKE '%/audit'"
        )
    assert listing == 1 and forbidden_logged == 1


async def test_the_access_record_is_append_only(live_api: LiveApi) -> None:
    await live_api.client.get("/tasks", headers=live_api.staff.practitioner)
    async with live_api.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM access_event") == 1
        with pytest.raises(asyncpg.RaiseError, match="access_event is append-only"):
            await conn.execute("UPDATE access_event SET user_id = 'someone else'")
        with pytest.raises(asyncpg.RaiseError, match="access_event is append-only"):
            await conn.execute("DELETE FROM access_event")
