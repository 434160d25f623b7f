"""The task page when the API cannot reach the case's workflow (no worker is running, so the
completion answers 503 once the API's workflow deadline passes): the form comes back saying
nothing was saved, with what was typed and the SAME Idempotency-Key, so sending it again once
the worker is back records the task once.

The page is a police partner's agency check: a partner's task page is read from the record
alone, so it opens with the worker stopped (a council task's page reads the live case, which
needs the worker too)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import asyncpg
from temporalio.testing import WorkflowEnvironment

from domain.tasks import Agency
from tests.api.conftest import LiveApi, Staff, _api_client, api_settings
from tests.api.test_tasks import SCREENING, complete, take_in, wait_for_task
from tests.api.workbench.pages import hidden, signed_in, text_of
from tests.api.workbench.test_task_pages import checked, textarea
from workers.worker import build_worker

DEADLINE = 2.0
ANSWER = {
    "known_to_agency": "yes",
    "information": "A call-out to the address in May.",
    "risk_indicators": "Domestic abuse call-out\nNeighbour heard shouting",
    "responder_name": "PC Example",
}


async def test_a_503_keeps_the_form_and_its_key_and_the_retry_is_applied_once(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> None:
    settings = api_settings(dev_env, database_url, task_queue).model_copy(
        update={"api_workflow_deadline_seconds": DEADLINE}
    )
    async with _api_client(settings) as client:
        api = LiveApi(client=client, staff=Staff(settings), pool=pool)
        police = api.staff.agency(Agency.police)
        async with build_worker(dev_env.client, pool, task_queue, settings=settings):
            referral_id = await take_in(api)
            screening = await wait_for_task(api, api.staff.practitioner, referral_id, "screening")
            screened = await complete(api, api.staff.practitioner, screening["task_id"], SCREENING)
            assert screened.status_code == 200, screened.text
            check = await wait_for_task(api, police, referral_id, "agency_check", "police")
        # The worker has stopped: the case's workflow cannot take the answer.
        path = f"/work/tasks/{check['task_id']}"
        async with signed_in(api, "pc.example", "agency", agency="police") as pc:
            page = await pc.open(path)
            assert "Record your agency's check" in text_of(page)
            sent_key = hidden(page, "idempotency_key")

            busy = await pc.submit(path, ANSWER, page=page, status=503)
            seen = text_of(busy.text)
            assert "There is a problem" in seen
            assert "nothing was saved" in seen and "send the form again" in seen
            assert hidden(busy.text, "idempotency_key") == sent_key  # the same submission
            assert textarea(busy.text, "information") == ANSWER["information"]  # nothing lost
            assert textarea(busy.text, "risk_indicators") == ANSWER["risk_indicators"]
            assert checked(busy.text, "known_to_agency") == ["yes"]

            async with build_worker(dev_env.client, pool, task_queue, settings=settings):
                # The form as it came back, sent again (twice: a double click): recorded once,
                # and answered as done both times.
                for _ in range(2):
                    done = await pc.submit(path, ANSWER, page=busy.text)
                    assert "thank you" in unquote(done.headers["location"])
                case = await api.client.get(f"/referrals/{referral_id}", headers=api.staff.manager)
                assert case.status_code == 200, case.text
    checks = [t for t in case.json()["tasks"] if t["kind"] == "agency_check"]
    answered = [t for t in checks if t["agency"] == "police"]
    assert [t["status"] for t in answered] == ["completed"]
    assert answered[0]["result"]["information"] == ANSWER["information"]


RATIONALE = "Bruising seen twice: police and health should say what they hold."
SCREENED: dict[str, str | list[str]] = {
    "rag": "amber",
    "rationale": RATIONALE,
    "agencies": ["police", "health"],
    "exploitation.risk": "none",
    "exploitation.rationale": "Nothing points to harm outside the family.",
}


def _hidden_fields(html: str) -> list[tuple[str, str]]:
    """Every hidden input of the page, as a browser would send them."""
    return [
        (unescape(name), unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    ]


async def test_a_council_task_sent_while_the_case_cannot_be_read_keeps_what_was_typed(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str, task_queue: str
) -> None:
    """A council task's page reads the live case; with the worker stopped, the form sent comes
    back as a page holding everything typed and the same key, and sending that page again once
    the worker is back records the screening once."""
    settings = api_settings(dev_env, database_url, task_queue).model_copy(
        update={"api_workflow_deadline_seconds": DEADLINE}
    )
    async with _api_client(settings) as client:
        api = LiveApi(client=client, staff=Staff(settings), pool=pool)
        async with signed_in(api, "pat.practitioner", "practitioner") as pat:
            async with build_worker(dev_env.client, pool, task_queue, settings=settings):
                referral_id = await take_in(api)
                screening = await wait_for_task(
                    api, api.staff.practitioner, referral_id, "screening"
                )
                path = f"/work/tasks/{screening['task_id']}"
                page = await pat.open(path)
                sent_key = hidden(page, "idempotency_key")
            busy = await pat.submit(path, SCREENED, page=page, status=503)
            seen = text_of(busy.text)
            assert "Your answers have not been sent yet" in seen and "nothing was saved" in seen
            assert RATIONALE in seen  # shown, and kept to send again
            fields = _hidden_fields(busy.text)
            assert ("idempotency_key", sent_key) in fields
            assert ("agencies", "police") in fields and ("agencies", "health") in fields
            assert ("rationale", RATIONALE) in fields

            async with build_worker(dev_env.client, pool, task_queue, settings=settings):
                resent: dict[str, list[str]] = {}
                for name, value in fields:
                    resent.setdefault(name, []).append(value)
                for _ in range(2):  # "Send it again", twice: recorded once
                    again = await pat.client.post(path, data=resent)
                    assert again.status_code == 303, text_of(again.text)[:500]
                case = await api.client.get(f"/referrals/{referral_id}", headers=api.staff.manager)
                assert case.status_code == 200, case.text
    screenings = [t for t in case.json()["tasks"] if t["kind"] == "screening"]
    assert [t["status"] for t in screenings] == ["completed"]
    assert case.json()["rag"] == "amber"
