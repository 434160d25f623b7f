"""The default edition (england-2026) in a running case: hour timescales counted in each team's
working pattern, working days over weekends and bank holidays, rungs out of hours to the
emergency duty team, the checks leaving the manager the margin, and the clocks after a referral.
Each test moves a time-skipping clock of its own to the dates it sets (in 2027, ahead of it).
Expected instants are worked out by hand in the comments (London is BST, UTC+1, in June)."""

from __future__ import annotations

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.case import Deadline, Stage
from domain.policy import Rag, Role
from domain.tasks import Agency, ScreeningResult, TaskKind
from tests.workflows.driver import (
    CHECK,
    HOUR,
    NONE_SEEN,
    NewCase,
    decision,
    referral_decision,
    utc,
    visit,
)

DEFAULT = "england-2026"


@pytest.fixture
def env(fresh_clock_env: WorkflowEnvironment) -> WorkflowEnvironment:
    return fresh_clock_env


async def test_a_green_contact_on_a_friday_afternoon(new_case: NewCase) -> None:
    # Friday 4 June 2027, 15:00 BST.
    received = utc(2027, 6, 4, 14)
    case = await new_case(received_at=received, policy_version=DEFAULT)
    state = await case.state()
    # Screening, 2 office hours: Friday 17:00 BST.
    assert state.deadlines[Deadline.screening] == utc(2027, 6, 4, 16)
    # Acknowledgement, one working day from receipt: Monday 7 June 15:00 BST.
    assert state.deadlines[Deadline.acknowledgement] == utc(2027, 6, 7, 14)

    await case.advance_to(received + HOUR / 2)
    await case.complete(
        TaskKind.screening,
        ScreeningResult(exploitation=NONE_SEEN, rag=Rag.green, rationale="Low-level neglect.",
                        agencies=[Agency.education, Agency.police]),
    )  # fmt: skip
    state = await case.state()
    # The MASH decision, three working days from receipt: Wednesday 9 June 15:00 BST.
    assert state.deadlines[Deadline.mash_decision] == utc(2027, 6, 9, 14)
    # The checks, three working days from screening (Wednesday 15:30 BST), end the one-hour
    # margin before the decision: Wednesday 14:00 BST. Never on the Saturday.
    checks = {t.agency: t.due_at for t in state.tasks if t.kind is TaskKind.agency_check}
    assert checks == {Agency.education: utc(2027, 6, 9, 13), Agency.police: utc(2027, 6, 9, 13)}
    assert state.deadlines[Deadline.checks] == utc(2027, 6, 9, 13)

    for agency in ("education", "police"):
        await case.complete(TaskKind.agency_check, CHECK, agency=agency)
    # Made a referral on Tuesday 8 June at 10:00 BST: its decision is due one working day on.
    await case.advance_to(utc(2027, 6, 8, 9))
    await case.complete(TaskKind.decision, decision("referral"))
    state = await case.state()
    assert state.referral_at is not None and state.referral_at - utc(2027, 6, 8, 9) < HOUR / 60
    assert state.deadlines[Deadline.referral_decision] == state.referral_at + 24 * HOUR
    answer = await case.complete(TaskKind.referral_decision, referral_decision("assessment"))
    assert answer.stage is Stage.visit
    # Seen on Thursday 10 June at 11:00 BST: handed over, accepted within a working day.
    await case.advance_to(utc(2027, 6, 10, 10))
    await visit(case)
    state = await case.state()
    assert state.stage is Stage.handover
    assert state.deadlines[Deadline.handover] - utc(2027, 6, 11, 10) < HOUR / 60
    # 45 working days from the referral (Tuesday 8 June 10:00 BST): 16 left in June, 22 in
    # July, then 2-6 and 9-10 August: Tuesday 10 August 2027 10:00 BST.
    assert state.deadlines[Deadline.assessment] - utc(2027, 8, 10, 9) < HOUR / 60
    await case.handle.terminate("test over")


async def test_rungs_out_of_hours_go_to_the_emergency_duty_team(new_case: NewCase) -> None:
    # Friday 4 June 2027, 15:00 BST, never screened: screening due 17:00 BST, a 2-hour window.
    received = utc(2027, 6, 4, 14)
    case = await new_case(received_at=received, policy_version=DEFAULT)
    await case.advance_to(utc(2027, 6, 4, 18, 30))
    state = await case.wait_for(
        lambda s: len([e for e in s.escalations if e.kind is TaskKind.screening]) == 4
    )
    await case.handle.terminate("test over")

    rungs = [(e.level, e.role, e.rung_at) for e in state.escalations
             if e.kind is TaskKind.screening]  # fmt: skip
    assert rungs == [
        (0, Role.assignee, utc(2027, 6, 4, 15, 30)),  # 16:30 BST, in hours: the assignee
        (1, Role.emergency_duty, utc(2027, 6, 4, 16)),  # 17:00 BST, the office has closed
        (2, Role.emergency_duty, utc(2027, 6, 4, 17)),
        (3, Role.emergency_duty, utc(2027, 6, 4, 18)),  # not the head of service at 19:00
    ]
