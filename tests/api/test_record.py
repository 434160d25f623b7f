"""The case record over HTTP: a case closes, Temporal forgets it, and the council still has
everything: the intake, every result as submitted, the lived experience, new information and the
chronology; every referral of the same child in one view for managers; nothing readable at rest.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import TypeAdapter
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from api.record import CaseRecordView
from domain.case import CaseState, Stage, TaskView
from domain.tasks import TaskKind, TaskResult, TaskStatus
from tests.api.conftest import LiveApi
from tests.api.driver import NONE_SEEN, complete, drive_to_closed
from tests.api.test_referrals import intake_body
from tests.workflows.driver import LIVED_EXPERIENCE

NHS = "9434765919"


async def _closed_case(api: LiveApi) -> str:
    """A case from intake to closure, with new information on the way; its referral id. The
    referrer is acknowledged and told the outcome, the child seen, and the receiving team takes
    the case and records the assessment."""
    staff = api.staff
    body = intake_body(child={**intake_body()["child"], "nhs_number": NHS})
    created = await api.client.post("/referrals", json=body, headers=staff.practitioner)
    assert created.status_code == 201, created.text
    referral_id = str(created.json()["referral_id"])
    await complete(api, staff.practitioner, created.json()["screening_task_id"], {
        "kind": "screening", "rag": "amber", "rationale": "Hunger and bruising at school.",
        "exploitation": NONE_SEEN,
        "agencies": ["police"],
    })  # fmt: skip
    added = await api.client.post(
        f"/referrals/{referral_id}/information",
        json={"text": "Neighbour heard shouting late on Friday.", "source": "police"},
        headers=staff.practitioner,
    )
    assert added.status_code == 200, added.text
    case = await drive_to_closed(api, referral_id, {
        "review_new_information": {"rationale": "Consistent with the concern; RAG kept."},
        "agency_check": {
            "known_to_agency": True, "information": "Two call-outs to the address in 2026.",
            "responder_name": "PC Example",
        },
        "decision": {"outcome": "assessment", "rationale": "Needs an assessment."},
        "visit": {"child_words": "I like football and my teacher."},
    })  # fmt: skip
    assert (case["stage"], case["outcome"]) == ("closed", "assessment")
    done = {"acknowledged", "referrer_told", "child_seen", "handed_over", "assessment_completed"}
    assert done <= set(case["milestones"])
    return referral_id


async def _delete_from_temporal(env: WorkflowEnvironment, workflow_id: str) -> None:
    client = env.client
    await client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
        )
    )
    for _ in range(180):  # the dev server deletes in the background, about 30 s later
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            assert err.status is RPCStatusCode.NOT_FOUND
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{workflow_id} was never deleted")


async def test_a_closed_case_reads_back_whole_after_temporal_has_deleted_it(
    live_api: LiveApi, dev_env: WorkflowEnvironment
) -> None:
    api, manager = live_api.client, live_api.staff.manager
    referral_id = await _closed_case(live_api)
    before = (await api.get(f"/referrals/{referral_id}", headers=manager)).json()
    assert before["in_process"] is True or before["stage"] == "closed"

    await _delete_from_temporal(dev_env, f"referral-{referral_id}")
    case = await api.get(f"/referrals/{referral_id}", headers=manager)

    assert case.status_code == 200, case.text
    after = case.json()
    assert after["in_process"] is False
    assert (after["stage"], after["outcome"]) == ("closed", "assessment")
    assert after["intake"]["child"]["name"] == "Sam Example"
    assert after["intake"]["concern"] == intake_body()["concern"]
    results = {t["kind"]: t["result"] for t in after["tasks"] if t["result"]}
    assert results["screening"]["rationale"] == "Hunger and bruising at school."
    assert results["agency_check"]["information"] == "Two call-outs to the address in 2026."
    assert results["decision"]["lived_experience"] == LIVED_EXPERIENCE
    assert results["visit"]["child_words"] == "I like football and my teacher."
    assert results["review_new_information"]["rationale"].startswith("Consistent")
    assert results["acknowledgement"]["method"] == "phone"
    assert results["referrer_feedback"]["method"] == "email"
    assert results["handover"]["receiving_team"] == "Assessment team 2"
    assert (
        results["assessment_completed"]["outcome"]
        == after["assessment_outcome"]
        == "child_in_need_plan"
    )
    assert [i["text"] for i in after["information"]] == ["Neighbour heard shouting late on Friday."]
    assert {t["kind"] for t in after["tasks"]} == {t["kind"] for t in before["tasks"]}
    assert after["deadlines"] == before["deadlines"]
    assert after["milestones"] == before["milestones"]
    events = [line["event"] for line in after["timeline"]]
    assert events[0] == "referral_received" and "case_closed" in events
    screening = next(t for t in after["tasks"] if t["kind"] == "screening")
    assert screening["completed_by"] == "pat.practitioner"

    chronology = await api.get(f"/referrals/{referral_id}/chronology", headers=manager)
    assert chronology.status_code == 200
    lines = chronology.json()["items"]
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)
    recorded = [line for line in lines if line["what"].startswith("recorded_")]
    assert {line["what"] for line in recorded} == {
        "recorded_intake", "recorded_task_result", "recorded_information"
    }  # fmt: skip
    lived = [line for line in recorded if line["detail"].get("task_kind") == "decision"]
    assert lived[0]["detail"]["result"]["lived_experience"] == LIVED_EXPERIENCE

    # A task is still readable, with the intake, once Temporal has forgotten the case.
    screening_task = await api.get(f"/tasks/{screening['task_id']}", headers=manager)
    assert screening_task.status_code == 200, screening_task.text
    assert screening_task.json()["intake"]["child"]["name"] == "Sam Example"


async def test_managers_see_every_referral_of_the_same_child(live_api: LiveApi) -> None:
    api, staff = live_api.client, live_api.staff
    first = await _closed_case(live_api)
    again = await api.post(
        "/referrals",
        json=intake_body(child={**intake_body()["child"], "nhs_number": NHS}),
        headers=staff.practitioner,
    )
    assert again.status_code == 201, again.text  # the first case is closed: no open case
    second = again.json()["referral_id"]
    other = await api.post(
        "/referrals",
        json=intake_body(child={**intake_body()["child"], "name": "Alex Other"}),
        headers=staff.practitioner,
    )
    assert other.status_code == 201, other.text

    child = await api.get(f"/referrals/{second}/child", headers=staff.manager)
    refused = await api.get(f"/referrals/{second}/child", headers=staff.practitioner)

    assert child.status_code == 200, child.text
    referrals = child.json()["referrals"]
    assert [r["referral_id"] for r in referrals] == [first, second]
    assert other.json()["referral_id"] not in {r["referral_id"] for r in referrals}
    kinds = [e["kind"] for e in referrals[0]["entries"]]
    assert kinds[0] == "intake" and "task_result" in kinds
    assert refused.status_code == 403


async def test_nothing_staff_wrote_or_an_identifier_is_readable_in_the_database(
    live_api: LiveApi,
) -> None:
    referral_id = await _closed_case(live_api)
    async with live_api.pool.acquire() as conn:
        bodies = await conn.fetch(
            "SELECT key_id, body FROM case_entry WHERE referral_id = $1", uuid.UUID(referral_id)
        )
        keys = await conn.fetchrow(
            "SELECT child_nhs_number, child_match_key FROM referral WHERE referral_id = $1",
            uuid.UUID(referral_id),
        )
        dumped = await conn.fetchval("SELECT string_agg(t::text, ' ') FROM case_entry t")

    assert len(bodies) >= 7 and {row["key_id"] for row in bodies} == {"test-1"}
    for plain in ("Sam Example", "Hunger and bruising", "football", "shouting", NHS):
        assert plain not in dumped
        assert all(plain.encode() not in bytes(row["body"]) for row in bodies)
    assert keys is not None and keys["child_nhs_number"] not in (None, NHS)
    assert len(keys["child_nhs_number"]) == 64 and "sam" not in keys["child_match_key"]


async def test_a_correction_is_a_new_entry_and_the_original_stays_on_record(
    live_api: LiveApi,
) -> None:
    api, staff = live_api.client, live_api.staff
    referral_id = await _closed_case(live_api)
    child = (await api.get(f"/referrals/{referral_id}/child", headers=staff.manager)).json()
    entries = child["referrals"][-1]["entries"]
    decision = next(
        e for e in entries if e["kind"] == "task_result" and e["body"]["task_kind"] == "decision"
    )
    corrected = {**decision["body"]["result"], "rationale": "Needs an assessment: two call-outs."}
    reason = "The rationale left out the police call-outs."

    async def post(by: dict[str, str], why: str, content: dict[str, Any]) -> httpx.Response:
        return await api.post(
            f"/referrals/{referral_id}/corrections",
            json={"entry_id": decision["entry_id"], "reason": why, "corrected": content},
            headers={**by, "Idempotency-Key": "correct-decision-1"},
        )

    refused = await post(staff.practitioner, "Typo", {"result": corrected})
    wrong = await post(staff.manager, "Typo", {"result": {}})
    made = await post(staff.manager, reason, {"result": corrected})
    again = await post(staff.manager, reason, {"result": corrected})

    assert refused.status_code == 403  # neither a manager nor the decision's author
    assert wrong.status_code == 422 and wrong.json()["error"]["details"][0]["field"] == "corrected"
    assert made.status_code == 201 and made.json() == {
        "corrects": decision["entry_id"], "recorded": True
    }  # fmt: skip
    assert again.json()["recorded"] is False
    case = (await api.get(f"/referrals/{referral_id}", headers=staff.manager)).json()
    result = next(t["result"] for t in case["tasks"] if t["kind"] == "decision")
    assert result["rationale"] == "Needs an assessment: two call-outs."
    assert [c["body"]["reason"] for c in case["corrections"]] == [
        "The rationale left out the police call-outs."
    ]
    assert case["corrections"][0]["actor"] == "mo.manager"
    lines = (await api.get(f"/referrals/{referral_id}/chronology", headers=staff.manager)).json()
    rationales = [
        line["detail"]["result"]["rationale"]
        for line in lines["items"]
        if line["what"] == "recorded_task_result" and line["detail"]["task_kind"] == "decision"
    ]
    assert rationales == ["Needs an assessment."]  # the original, as first recorded
    assert any(line["what"] == "record_corrected" for line in lines["items"])


def test_the_view_takes_the_state_as_validated_the_same_as_validated_again() -> None:
    """`case_view` hands the state's fields on as they are; validating them again (every result
    a form once more) would give the same view."""
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    result = TypeAdapter(TaskResult).validate_python({
        "kind": "screening", "rag": "amber", "rationale": "  Hunger and ﬁne bruising. ",
        "agencies": ["police"], "exploitation": NONE_SEEN,
    })  # fmt: skip
    task = TaskView(
        task_id=str(uuid.uuid4()), kind=TaskKind.screening, team="front_door", opened_at=at,
        counts_from=at, due_at=at, status=TaskStatus.completed, result=result,
    )  # fmt: skip
    state = CaseState(
        referral_id=uuid.uuid4(), workflow_id="referral-x", policy_version="v1",
        received_at=at, stage=Stage.decision, tasks=[task], deadlines={}, milestones={},
    )  # fmt: skip
    as_is = CaseRecordView(**dict(state), in_process=True)
    again = CaseRecordView(**state.model_dump(), in_process=True)
    assert as_is == again
    assert as_is.model_dump_json() == again.model_dump_json()
