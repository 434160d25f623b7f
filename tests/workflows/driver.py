"""Drives a referral workflow the way staff would, for the workflow tests: start it, complete its
tasks by Update, read its state by query, move the time-skipping clock, and replay its history.
The worker and the `new_case` factory the tests use are fixtures in tests/workflows/conftest.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypedDict, Unpack

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.case import CaseState, CompleteTaskOutcome, ReferralSummary, Stage, TaskView
from domain.exploitation import (
    DisruptionAction,
    ExploitationRisk,
    ExploitationScreening,
    MaceResult,
)
from domain.policy import Rag, StrategyOutcome
from domain.referral import (
    Child,
    ConcernCategory,
    Consent,
    HouseholdMember,
    ReferralDetails,
    ReferralInput,
    ReferralSource,
    Referrer,
)
from domain.tasks import (
    AcknowledgementResult,
    AddInformationInput,
    Agency,
    AgencyCheckResult,
    AssessmentCompletedResult,
    AssessmentOutcome,
    ChildProtectionConferenceResult,
    CompleteTaskInput,
    ConferenceOutcome,
    ContactMethod,
    DecisionResult,
    HandoverResult,
    NotSeenReason,
    ReferralDecisionResult,
    ReferrerFeedbackResult,
    ScreeningResult,
    Section47Outcome,
    StrategyDiscussionResult,
    TaskKind,
    TaskResult,
    TaskStatus,
    VisitResult,
)
from tests.conftest import TEST_CONVERTER
from workers.worker import sandbox_runner
from workflows.referral import ReferralWorkflow

# The exploitation screening asked on every case, when nothing points to harm outside the family.
NONE_SEEN = ExploitationScreening(
    risk=ExploitationRisk.none, rationale="Nothing points to harm outside the family."
)
LIVED_EXPERIENCE = (
    "Sam is seven, says home is loud at night and that they often miss breakfast before school."
)


class ReferralOptions(TypedDict, total=False):
    """What a test may change about the referral `referral_details` writes."""

    categories: tuple[ConcernCategory, ...]
    nhs_number: str | None
    name: str
    referrer: Referrer
    source: ReferralSource


# The clock-hour edition: the time-skipping server starts at the real time of day, so durations
# under the default edition (office hours) would depend on when the suite runs. Tests of the
# default edition's working hours start the case at a pinned instant (`policy_version=`).
CLOCK_HOURS_POLICY = "england-2023"
REFERRER = Referrer(name="A Teacher", organisation="Example Primary", phone="0100 000 000")


def referral_details(
    received_at: datetime,
    *,
    categories: tuple[ConcernCategory, ...] = (ConcernCategory.neglect,),
    nhs_number: str | None = None,
    name: str = "Sam Example",
    referrer: Referrer = REFERRER,
    source: ReferralSource = ReferralSource.schools,
) -> ReferralDetails:
    return ReferralDetails(
        received_at=received_at,
        source=source,
        referrer=referrer,
        child=Child(
            name=name,
            date_of_birth=date(2019, 3, 1),
            address="1 Example Street",
            nhs_number=nhs_number,
        ),
        household=[HouseholdMember(name="Pat Example", relationship="mother",
                                   parental_responsibility=True)],
        concern="Arrives hungry most days; bruising seen on the arm.",
        categories=list(categories),
        consent=Consent.given,
    )  # fmt: skip


def decision(outcome: str, **extra: object) -> DecisionResult:
    return DecisionResult.model_validate(
        {
            "outcome": outcome,
            "rationale": "Concerns meet the threshold described.",
            "lived_experience": LIVED_EXPERIENCE,
            "household_considered": ["Pat Example"],
            "exploitation": NONE_SEEN,
            **extra,
        }
    )


def referral_decision(response: str, **extra: object) -> ReferralDecisionResult:
    return ReferralDecisionResult.model_validate(
        {
            "response": response,
            "rationale": "Threshold for an assessment is met.",
            "lived_experience": LIVED_EXPERIENCE,
            "household_considered": ["Pat Example"],
            **extra,
        }
    )


class Case:
    """One referral under test."""

    def __init__(
        self, env: WorkflowEnvironment, handle: WorkflowHandle[ReferralWorkflow, ReferralSummary]
    ) -> None:
        self.env = env
        self.handle = handle

    async def state(self) -> CaseState:
        return await self.handle.query(ReferralWorkflow.state)

    async def open_task(self, kind: TaskKind, *, attempt: int | None = None) -> TaskView:
        tasks = [
            t for t in (await self.state()).tasks
            if t.kind is kind and t.status is TaskStatus.open
            and (attempt is None or t.attempt == attempt)
        ]  # fmt: skip
        assert len(tasks) == 1, f"expected one open {kind} task, found {len(tasks)}"
        return tasks[0]

    async def complete(
        self,
        kind: TaskKind,
        result: TaskResult,
        *,
        actor: str = "worker-1",
        agency: str | None = None,
    ) -> CompleteTaskOutcome:
        state = await self.state()
        candidates = [
            t for t in state.tasks
            if t.kind is kind and t.status is TaskStatus.open
            and (agency is None or t.agency == agency)
        ]  # fmt: skip
        assert candidates, f"no open {kind} task"
        return await self.complete_task(candidates[0].task_id, result, actor=actor)

    async def complete_task(
        self, task_id: str, result: TaskResult, *, actor: str = "worker-1"
    ) -> CompleteTaskOutcome:
        return await self.handle.execute_update(
            ReferralWorkflow.complete_task,
            CompleteTaskInput(task_id=task_id, actor=actor, result=result),
            id=f"complete-{task_id}",
        )

    async def wait_for(self, check: Callable[[CaseState], bool], within: float = 30) -> CaseState:
        """Poll the case until `check` holds (activities run as real time passes)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            state = await self.state()
            if check(state):
                return state
            assert asyncio.get_running_loop().time() < deadline, "the case never got there"
            await asyncio.sleep(0.05)

    async def add_information(self, text: str) -> str:
        outcome = await self.handle.execute_update(
            ReferralWorkflow.add_information,
            AddInformationInput(text=text, source="police", actor="worker-2"),
        )
        assert outcome.review_task_id is not None, "no review task was opened"
        return outcome.review_task_id

    async def advance_to(self, instant: datetime) -> None:
        """Move the time-skipping server's clock to `instant` (timers in between fire)."""
        now = await self.env.get_current_time()
        if instant > now:
            await self.env.sleep(instant - now)

    async def replay(self) -> int:
        """Replay the history against the current code; return its number of events."""
        history = await self.handle.fetch_history()
        await Replayer(
            workflows=[ReferralWorkflow],
            data_converter=TEST_CONVERTER,
            workflow_runner=sandbox_runner(),
        ).replay_workflow(history)
        return len(history.events)


class NewCase(Protocol):
    """The `new_case` fixture: `start_case` on the test's server and task queue, where a worker
    runs for the whole test."""

    async def __call__(
        self,
        *,
        received_at: datetime | None = None,
        back_dated: timedelta = ...,
        policy_version: str = ...,
        **options: Unpack[ReferralOptions],
    ) -> Case: ...


async def start_case(
    env: WorkflowEnvironment,
    task_queue: str,
    *,
    received_at: datetime | None = None,
    back_dated: timedelta = timedelta(0),
    policy_version: str = CLOCK_HOURS_POLICY,
    **options: Unpack[ReferralOptions],
) -> Case:
    """Refer a child as intake would, received at `received_at` or else `back_dated` before the
    server's clock; the case comes back once its screening task is open."""
    if received_at is None:
        received_at = await env.get_current_time() - back_dated
    referral = ReferralInput(
        referral_id=uuid.uuid4(),
        policy_version=policy_version,
        details=referral_details(received_at, **options),
        recorded_at=await env.get_current_time(),
    )
    handle = await env.client.start_workflow(
        ReferralWorkflow.run, referral, id=referral.workflow_id, task_queue=task_queue
    )
    case = Case(env, handle)
    await case.wait_for(lambda s: any(t.kind is TaskKind.screening for t in s.tasks))
    return case


CHECK = AgencyCheckResult(known_to_agency=False, information="Not known.", responder_name="Duty")
ATTENDEES = ["police", "health", "childrens_social_care"]


async def screen_and_check(case: Case, rag: Rag = Rag.amber) -> None:
    """Screen (police and health asked) and answer both checks: the decision opens."""
    await case.complete(
        TaskKind.screening,
        ScreeningResult(
            exploitation=NONE_SEEN,
            rag=rag,
            rationale="Needs checks.",
            agencies=[Agency.police, Agency.health],
        ),
    )
    await case.complete(TaskKind.agency_check, CHECK, agency="police")
    outcome = await case.complete(TaskKind.agency_check, CHECK, agency="health")
    assert outcome.stage is Stage.decision  # every check in: the decision opens at once


async def visit(case: Case, *, seen: bool = True, attempt: int | None = None) -> None:
    now = await case.env.get_current_time()
    task = await case.open_task(TaskKind.visit, attempt=attempt)
    result = VisitResult(
        visited_at=now, child_seen=seen, seen_alone=seen,
        not_seen_reason=None if seen else NotSeenReason.no_access,
        observations="Home visited.", child_words="I like football." if seen else None,
    )  # fmt: skip
    await case.complete_task(task.task_id, result, actor="sw-1")


async def strategy(case: Case, outcome: StrategyOutcome) -> None:
    await case.complete(
        TaskKind.strategy_discussion,
        StrategyDiscussionResult(
            held_at=await case.env.get_current_time(), attendees=ATTENDEES, outcome=outcome,
            rationale="Agreed by all three agencies.",
        ),
    )  # fmt: skip


async def acknowledge(case: Case) -> CompleteTaskOutcome:
    """The referrer rang back: the contact's receipt acknowledged, now."""
    now = await case.env.get_current_time()
    return await case.complete(
        TaskKind.acknowledgement,
        AcknowledgementResult(method=ContactMethod.phone, acknowledged_at=now),
        actor="sw-2",
    )


async def tell_referrer(case: Case) -> CompleteTaskOutcome:
    """The referrer told the outcome by email, now."""
    now = await case.env.get_current_time()
    return await case.complete(
        TaskKind.referrer_feedback,
        ReferrerFeedbackResult(method=ContactMethod.email, told_at=now),
        actor="sw-2",
    )


async def hand_over(case: Case, *, section_47: bool = False) -> None:
    """The receiving team accepts the case, completes the assessment and, for a section 47
    enquiry, records its outcome and the initial conference."""
    now = await case.env.get_current_time()
    await case.complete(
        TaskKind.handover, HandoverResult(accepted_at=now, receiving_team="Assessment team 2")
    )
    if section_47:
        await case.complete(
            TaskKind.child_protection_conference,
            ChildProtectionConferenceResult(
                section_47_outcome=Section47Outcome.substantiated_at_risk,
                held_at=now,
                conference_outcome=ConferenceOutcome.child_protection_plan,
                rationale="Continuing risk of significant harm; plan agreed.",
            ),
        )
    await case.complete(
        TaskKind.assessment_completed,
        AssessmentCompletedResult(
            completed_at=now,
            outcome=AssessmentOutcome.child_in_need_plan,
            summary="Needs met through a child in need plan.",
        ),
    )


async def hold_mace(case: Case, *actions: DisruptionAction) -> CompleteTaskOutcome:
    """The MACE discussion held now, agreeing `actions`, reviewed in four weeks."""
    now = await case.env.get_current_time()
    return await case.complete(
        TaskKind.mace,
        MaceResult(
            held_at=now,
            attendees=["police", "childrens_social_care", "health", "education"],
            risk=ExploitationRisk.significant,
            plan="Disrupt contact with the older group; youth worker.",
            actions=list(actions),
            review_on=(now + timedelta(days=28)).date(),
        ),
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


HOUR = timedelta(hours=1)
