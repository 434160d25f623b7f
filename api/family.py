"""An intake about a family: one case per child (each started as a single child's intake is,
api/intake.py), the open cases a child may already have (answered 409 `open_case` until the
screener chooses), a contact added to an open case as new information, and the people recorded
and linked in PostgreSQL once the cases exist (siblings, household)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.auth import User
from api.cases import case_handle, on_case
from api.errors import ApiError
from api.intake import INTAKE_NAMESPACE, case_start, screening_task_of_repeat, start_case
from api.models.intake import CaseTaken, IntakeChild, IntakeRequest
from api.people import child_record, member_record, query_of_child, search, store_person
from core.sealing import RecordSealer
from core.settings import Settings
from domain.case import Stage
from domain.people import MATCH_THRESHOLD, RelationshipKind
from domain.tasks import AddInformationInput
from store import person as person_store
from store import referral as referral_store
from workflows.referral import ReferralWorkflow


@dataclass(frozen=True)
class Slot:
    """One child of the intake and the id of its case (new, or the open one it goes to)."""

    index: int
    child: IntakeChild
    referral_id: UUID

    @property
    def target(self) -> UUID:
        return self.child.add_to_case or self.referral_id


def slots_of(body: IntakeRequest, first: UUID, user: User, key: str | None) -> list[Slot]:
    """The children with their case ids: the first child's is the id a single-child intake
    had; the others follow from the same key (or are fresh without one)."""
    ids = [first] + [
        uuid.uuid5(INTAKE_NAMESPACE, f"{user.user_id}\n{key}\n{i}") if key else uuid.uuid4()
        for i in range(1, len(body.all_children))
    ]
    return [Slot(i, _choice(body, child), ids[i]) for i, child in enumerate(body.all_children)]


def _choice(body: IntakeRequest, child: IntakeChild) -> IntakeChild:
    """The child with the intake's own new_case_reason, unless it chose for itself."""
    if child.add_to_case or child.new_case_reason or not body.new_case_reason:
        return child
    return child.model_copy(update={"new_case_reason": body.new_case_reason})


def _open(stage: str | None) -> bool:
    return stage != Stage.closed.value  # None: being registered, so open


async def refuse_if_open_cases(
    pool: asyncpg.Pool, sealer: RecordSealer, body: IntakeRequest, slots: list[Slot], today: date
) -> None:
    """409 `open_case` listing, for each child whose choice is not yet made, the open cases of
    the people close enough to be the same child."""
    found: list[dict[str, object]] = []
    # This intake's own cases (a repeat racing the first request) are never in the way.
    own = {slot.referral_id for slot in slots}
    async with pool.acquire() as conn:
        for slot in slots:
            if slot.child.add_to_case or slot.child.new_case_reason:
                continue
            people = await search(
                conn, sealer, query_of_child(slot.child), today, minimum=MATCH_THRESHOLD
            )
            cases = await person_store.cases_of_people(conn, [f.person.person_id for f in people])
            scored = {f.person.person_id: f.scored for f in people}
            found += [
                {
                    "field": body.child_field(slot.index),
                    "referral_id": str(case.referral_id),
                    "stage": case.stage,
                    "person_id": str(case.person_id),
                    "score": scored[case.person_id].score,
                    "reasons": scored[case.person_id].reasons,
                }
                for case in cases
                if case.role == "subject" and _open(case.stage) and case.referral_id not in own
            ]
    if found:
        fields = ", ".join(sorted({str(f["field"]) for f in found}))
        raise ApiError(
            409,
            "open_case",
            f"{fields}: may already have an open case; send the intake again with, for that "
            "child, add_to_case (the case's referral_id: this contact is added to it) or "
            "new_case_reason (a new case anyway, and why)",
            found,
        )


async def add_to_open_case(
    client: Client,
    pool: asyncpg.Pool,
    body: IntakeRequest,
    slot: Slot,
    user: User,
    deadline: float,
) -> CaseTaken:
    """The contact as new information on the child's open case (its review task opens)."""
    assert slot.child.add_to_case is not None
    case_id = slot.child.add_to_case
    field = f"{body.child_field(slot.index)}.add_to_case"
    async with pool.acquire() as conn:
        stored = await referral_store.get_referral(conn, case_id)
    if stored is None or stored.disposed_at is not None:
        raise ApiError(404, "not_found", f"referral {case_id} was not found", [{"field": field}])
    if stored.stage is Stage.closed:
        raise ApiError(
            409,
            "case_closed",
            f"referral {case_id} is closed: open a new case (new_case_reason) instead",
            [{"field": field, "problem": "the case is closed"}],
        )
    who = body.referrer.organisation or body.referrer.name or "an anonymous referrer"
    source = f"contact from {who} (source {body.source.value}), received " + (
        body.received_at.isoformat(timespec="minutes")
    )
    outcome = await on_case(
        case_id,
        case_handle(client, case_id).execute_update(
            ReferralWorkflow.add_information,
            AddInformationInput(text=body.concern, source=source[:200], actor=user.user_id),
            # The slot's id keys the update: a repeated intake adds the contact once.
            id=f"intake-{slot.referral_id}",
        ),
        deadline=deadline,
    )
    return CaseTaken(
        child_index=slot.index,
        referral_id=case_id,
        url=f"/referrals/{case_id}",
        added_to_open_case=True,
        review_task_id=UUID(outcome.review_task_id) if outcome.review_task_id else None,
    )


async def start_new_case(
    client: Client,
    body: IntakeRequest,
    slot: Slot,
    fingerprint: str,
    user: User,
    settings: Settings,
    repeatable: bool,
) -> tuple[CaseTaken, bool]:
    """The child's own case, started as a single child's is; and whether it already existed
    (a repeat of the same intake)."""
    details = body.details_for(slot.child)
    start = case_start(details, slot.referral_id, fingerprint, user, settings.task_queue)
    deadline = settings.api_workflow_deadline_seconds
    repeated = False
    try:
        opened = await start_case(client, start, deadline=deadline)
    except WorkflowAlreadyStartedError:
        if not repeatable:  # a fresh uuid4 never collides; be safe all the same
            raise
        opened = await screening_task_of_repeat(
            client, slot.referral_id, fingerprint, deadline=deadline
        )
        repeated = True
    taken = CaseTaken(
        child_index=slot.index,
        referral_id=slot.referral_id,
        url=f"/referrals/{slot.referral_id}",
        screening_task_id=UUID(opened.task_id),
    )
    return taken, repeated


async def take_in_children(
    client: Client,
    pool: asyncpg.Pool,
    body: IntakeRequest,
    slots: list[Slot],
    fingerprint: str,
    user: User,
    settings: Settings,
    repeatable: bool,
) -> tuple[list[CaseTaken], bool]:
    """Every child's case, in the order given; and whether they were all there already."""
    deadline = settings.api_workflow_deadline_seconds

    async def one(slot: Slot) -> tuple[CaseTaken, bool]:
        if slot.child.add_to_case is not None:
            return await add_to_open_case(client, pool, body, slot, user, deadline), True
        return await start_new_case(client, body, slot, fingerprint, user, settings, repeatable)

    done = await asyncio.gather(*(one(slot) for slot in slots))
    new = [repeated for (taken, repeated), slot in zip(done, slots, strict=True)
           if slot.child.add_to_case is None]  # fmt: skip
    return [taken for taken, _ in done], bool(new) and all(new)


def _person_id(referral_id: UUID, part: str) -> UUID:
    return uuid.uuid5(INTAKE_NAMESPACE, f"{referral_id}\n{part}")


async def record_people(
    pool: asyncpg.Pool,
    sealer: RecordSealer,
    body: IntakeRequest,
    slots: list[Slot],
    user: User,
    today: date,
) -> None:
    """Each new case's child, the household's adults (once for the whole intake), the cases
    they are in, and the relationships: the children siblings, the adults their household.
    Ids follow from the case ids, so an intake sent again records nothing twice."""
    new = [slot for slot in slots if slot.child.add_to_case is None]
    async with pool.acquire() as conn, conn.transaction():
        children: list[UUID] = []
        for slot in slots:
            if slot.child.add_to_case is not None:
                children += await person_store.people_of_case(conn, slot.target, "subject")
                continue
            person_id = _person_id(slot.referral_id, "subject")
            await store_person(
                conn, sealer, person_id, child_record(slot.child.as_child(), today), user.user_id
            )
            await person_store.link_case(conn, slot.referral_id, person_id, "subject", 0)
            children.append(person_id)
        home = slots[0].child.address
        for ordinal, member in enumerate(body.household):
            adult = _person_id(slots[0].referral_id, f"household\n{ordinal}")
            await store_person(
                conn, sealer, adult, member_record(member, home, today), user.user_id
            )
            for slot in new:
                await person_store.link_case(conn, slot.referral_id, adult, "household", ordinal)
            for child in children:
                await person_store.relate(
                    conn, adult, child, RelationshipKind.household, slots[0].referral_id
                )
        for i, a in enumerate(children):
            for b in children[i + 1 :]:
                if a != b:
                    await person_store.relate(
                        conn, a, b, RelationshipKind.sibling, slots[0].referral_id
                    )
