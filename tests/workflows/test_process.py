"""The process as the guidance sets it, on the time-skipping server: what staff must record (the
referrer loop, the section 47 outcome) and what the workflow refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.case import Deadline, Milestone, Stage
from domain.policy import Rag, StrategyOutcome
from domain.referral import ReferralSource, Referrer
from domain.tasks import (
    AcknowledgementResult,
    Agency,
    AssessmentCompletedResult,
    AssessmentOutcome,
    ChildProtectionConferenceResult,
    ContactMethod,
    HandoverResult,
    ReferrerFeedbackResult,
    ScreeningResult,
    Section47Outcome,
    TaskKind,
)
from tests.workflows.driver import (
    NONE_SEEN,
    Case,
    NewCase,
    acknowledge,
    decision,
    screen_and_check,
    strategy,
    tell_referrer,
    visit,
)


async def _refused(case: Case, kind: TaskKind, result: object) -> str:
    task = await case.open_task(kind)
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await case.complete_task(task.task_id, result)  # type: ignore[arg-type]
    return str(failed.value.cause)


async def test_an_anonymous_referrer_is_neither_acknowledged_nor_told(new_case: NewCase) -> None:
    case = await new_case(source=ReferralSource.anonymous, referrer=Referrer())
    state = await case.state()
    assert {t.kind for t in state.tasks} == {TaskKind.screening}
    assert Deadline.acknowledgement not in state.deadlines
    await screen_and_check(case)
    answer = await case.complete(TaskKind.decision, decision("advice"))
    summary = await case.handle.result()

    assert answer.stage is Stage.closed and summary.outcome == "advice"
    assert Deadline.referrer_feedback not in summary.deadlines
    assert any(e.event == "referrer_not_reachable" for e in (await case.state()).timeline)


async def test_the_referrer_loop_records_what_really_happened(new_case: NewCase) -> None:
    case = await new_case()
    now = await case.env.get_current_time()
    # Acknowledged before the contact was received: refused, and the task stays open.
    early = AcknowledgementResult(
        method=ContactMethod.phone, acknowledged_at=now - timedelta(days=1)
    )
    assert "acknowledged_at is before the contact was received" in await _refused(
        case, TaskKind.acknowledgement, early
    )
    later = AcknowledgementResult(
        method=ContactMethod.letter, acknowledged_at=now + timedelta(days=2)
    )
    assert "acknowledged_at is in the future" in await _refused(
        case, TaskKind.acknowledgement, later
    )
    await case.env.sleep(timedelta(hours=3))
    told_at = now + timedelta(hours=1)  # rang at the time, recorded later
    await case.complete(
        TaskKind.acknowledgement,
        AcknowledgementResult(method=ContactMethod.phone, acknowledged_at=told_at),
    )
    await screen_and_check(case)
    await case.complete(TaskKind.decision, decision("nfa"))
    before = ReferrerFeedbackResult(method=ContactMethod.email, told_at=told_at)
    assert "told_at is before the decision was made" in await _refused(
        case, TaskKind.referrer_feedback, before
    )
    await tell_referrer(case)
    summary = await case.handle.result()

    assert summary.milestones[Milestone.acknowledged] == told_at
    assert summary.milestones[Milestone.referrer_told] >= summary.milestones[Milestone.mash_decided]


async def test_a_child_at_immediate_risk_cannot_be_closed_as_a_contact(new_case: NewCase) -> None:
    case = await new_case()
    await case.complete(
        TaskKind.screening,
        ScreeningResult(rag=Rag.red, rationale="Injury.", immediate_risk=True,
                        agencies=[Agency.police], exploitation=NONE_SEEN),
    )  # fmt: skip
    message = await _refused(case, TaskKind.decision, decision("nfa"))
    assert "immediate risk" in message and "referral" in message
    await case.handle.terminate("test over")


async def test_a_section_47_not_substantiated_needs_no_conference(new_case: NewCase) -> None:
    case = await new_case()
    await acknowledge(case)
    await screen_and_check(case, Rag.red)
    await case.complete(TaskKind.decision, decision("strategy_discussion"))
    await tell_referrer(case)
    await strategy(case, StrategyOutcome.section_47)
    await visit(case)
    now = await case.env.get_current_time()
    await case.complete(
        TaskKind.handover, HandoverResult(accepted_at=now, receiving_team="Assessment team 1")
    )
    at_risk_without_date = {
        "kind": "child_protection_conference",
        "section_47_outcome": "substantiated_at_risk",
        "rationale": "Risk continues.",
    }
    with pytest.raises(ValueError, match="needs the initial conference"):
        ChildProtectionConferenceResult.model_validate(at_risk_without_date)
    await case.complete(
        TaskKind.child_protection_conference,
        ChildProtectionConferenceResult(
            section_47_outcome=Section47Outcome.not_substantiated,
            rationale="Injury explained by a fall; seen by the GP.",
        ),
    )
    assert (await case.state()).stage is Stage.handover  # the assessment is still to come
    answer = await case.complete(
        TaskKind.assessment_completed,
        AssessmentCompletedResult(
            completed_at=now, outcome=AssessmentOutcome.early_help, summary="Early help offered."
        ),
    )
    summary = await case.handle.result()
    state = await case.state()

    assert answer.stage is Stage.closed
    assert state.section_47_outcome is Section47Outcome.not_substantiated
    assert state.assessment_outcome is AssessmentOutcome.early_help
    assert Milestone.conference_held not in summary.milestones
    assert Deadline.icpc in summary.deadlines
