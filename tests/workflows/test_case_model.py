"""The case model on its own: pure and synchronous, no Temporal server. What the query shows, the
read model's progress derived from the state, the closing summary and the search attributes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from domain.case import Deadline, Milestone, Stage, TaskView
from domain.policy import DecisionOutcome, Rag, Role, Rung
from domain.referral import ReferralInput
from domain.tasks import Agency, TaskKind, TaskStatus, Team
from tests.workflows.driver import referral_details
from workflows.case import Case, TrackedTask

RECEIVED = datetime(2026, 5, 22, 15, tzinfo=UTC)


def new_case() -> Case:
    params = ReferralInput(referral_id=uuid.uuid4(), details=referral_details(RECEIVED))
    return Case(params, params.workflow_id)


def add(
    case: Case,
    kind: TaskKind,
    *,
    due_in: timedelta = timedelta(hours=2),
    agency: Agency | None = None,
    in_inbox: bool = True,
) -> TrackedTask:
    view = TaskView(
        task_id=str(uuid.uuid4()),
        kind=kind,
        team=Team.practitioners.value,
        agency=agency,
        opened_at=RECEIVED,
        counts_from=RECEIVED,
        due_at=RECEIVED + due_in,
    )
    rungs = [Rung(level=1, role=Role.team_manager, at=view.due_at)]
    task = case.add_task(view, rungs)
    task.in_inbox = in_inbox
    return task


def test_the_query_shows_only_tasks_already_in_the_inbox() -> None:
    case = new_case()
    shown = add(case, TaskKind.screening)
    add(case, TaskKind.agency_check, agency=Agency.police, in_inbox=False)

    snapshot = case.snapshot()

    assert [t.task_id for t in snapshot.tasks] == [shown.view.task_id]
    snapshot.tasks[0].status = TaskStatus.completed  # a copy: the case is not changed
    assert shown.is_open


def test_progress_is_the_case_state_under_a_new_revision_with_the_next_due_time() -> None:
    case = new_case()
    add(case, TaskKind.agency_check, agency=Agency.police, due_in=timedelta(hours=6))
    add(case, TaskKind.agency_check, agency=Agency.health, due_in=timedelta(hours=4))
    case.state.stage = Stage.checks
    case.state.rag = Rag.amber
    case.state.deadlines[Deadline.checks] = RECEIVED + timedelta(hours=6)
    case.state.milestones[Milestone.screened] = RECEIVED

    first, second = case.next_progress(), case.next_progress()

    assert (first.revision, second.revision) == (1, 2)
    assert (second.stage, second.rag) == (Stage.checks, Rag.amber)
    assert second.deadlines == {Deadline.checks: RECEIVED + timedelta(hours=6)}
    assert second.milestones == {Milestone.screened: RECEIVED}
    assert second.next_due_at == RECEIVED + timedelta(hours=4)


def test_a_rung_above_the_reminder_raises_the_task_and_the_case_never_lowers_them() -> None:
    case = new_case()
    task = add(case, TaskKind.decision)

    case.raise_escalation(task, 0)
    assert (task.view.escalation_level, case.state.escalation_level) == (0, 0)
    case.raise_escalation(task, 2)
    case.raise_escalation(task, 1)

    assert (task.view.escalation_level, case.state.escalation_level) == (2, 2)


def test_the_decision_shows_which_agencies_have_not_answered() -> None:
    case = new_case()
    police = add(case, TaskKind.agency_check, agency=Agency.police)
    add(case, TaskKind.agency_check, agency=Agency.health)
    decision = add(case, TaskKind.decision)
    police.view.status = TaskStatus.completed

    case.refresh_missing_checks()

    assert decision.view.missing_checks == [Agency.health]
    assert not case.all_checks_in()


def test_the_summary_says_which_deadlines_were_met() -> None:
    case = new_case()
    state = case.state
    state.outcome = DecisionOutcome.assessment
    state.deadlines[Deadline.screening] = RECEIVED + timedelta(hours=2)
    state.deadlines[Deadline.mash_decision] = RECEIVED + timedelta(days=1)
    state.deadlines[Deadline.visit] = RECEIVED + timedelta(days=5)
    state.milestones[Milestone.screened] = RECEIVED + timedelta(hours=1)
    state.milestones[Milestone.mash_decided] = RECEIVED + timedelta(days=2)

    summary = case.summary()

    assert summary.deadlines_met == {Deadline.screening: True, Deadline.mash_decision: False}
    assert summary.outcome is DecisionOutcome.assessment
    assert not summary.child_seen


def test_search_attributes_are_upserted_only_when_they_change() -> None:
    case = new_case()
    add(case, TaskKind.screening, due_in=timedelta(hours=2))

    first = case.search_attribute_updates(RECEIVED)
    again = case.search_attribute_updates(RECEIVED)
    overdue = case.search_attribute_updates(RECEIVED + timedelta(hours=3))

    assert {u.key.name for u in first} == {
        "Stage", "Rag", "EscalationLevel", "NextDueAt", "Overdue", "ReReferral"
    }  # fmt: skip
    assert again == []
    assert [u.value for u in overdue if u.key.name == "Overdue"] == [True]


def test_decision_outcomes_say_what_follows() -> None:
    closing = {o for o in DecisionOutcome if o.closes_case}
    contact_closed = {DecisionOutcome.nfa, DecisionOutcome.advice, DecisionOutcome.early_help}
    assert closing == contact_closed | {DecisionOutcome.step_down}
    assert {o for o in DecisionOutcome if not o.makes_referral} == contact_closed
    assert {o for o in DecisionOutcome if o.is_response} == {
        DecisionOutcome.assessment,
        DecisionOutcome.strategy_discussion,
        DecisionOutcome.immediate_protection,
        DecisionOutcome.step_down,
    }
    assert {o for o in DecisionOutcome if o.holds_strategy_discussion} == {
        DecisionOutcome.strategy_discussion,
        DecisionOutcome.immediate_protection,
    }
    assert {o for o in DecisionOutcome if o.visits_at_once} == {
        DecisionOutcome.assessment,
        DecisionOutcome.immediate_protection,
    }
