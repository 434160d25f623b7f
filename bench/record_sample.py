"""The sampled cases of `bench/record_read.py`: their case record written as the workflow would
write it (the intake, each task's result shaped as domain/tasks.py says, new information, a
reminder), through the real code (`activities.record.CaseRecord`, sealed by `core.sealing`), so
`case_view` opens and validates every entry as it would in service.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from activities.record import CaseRecord
from core.sealing import RecordSealer
from domain.exploitation import ExploitationRisk, ExploitationScreening
from domain.policy import Rag, StrategyOutcome
from domain.record import INTAKE_STEP, EntryKind
from domain.records import RecordEntryInput
from domain.tasks import (
    Agency,
    AgencyCheckResult,
    ScreeningResult,
    StrategyDiscussionResult,
    TaskKind,
    TaskResult,
    VisitResult,
)
from store.case_record import PgCaseTransaction
from store.referral import StoredReferral, get_referral
from store.task import InboxTask, tasks_of_referral
from tests.workflows.driver import ATTENDEES, decision, referral_details

# Words staff use (filler prose of a realistic length; no real case is described).
_TEXT = """the child said that home is loud at night and mum was upset school reports he arrives
hungry and tired police attended the address after a neighbour called health visitor notes
missed appointments bruising seen on the arm no concerns raised before by nursery"""
WORDS = _TEXT.split()
# The exploitation screening every screening and MASH decision carries.
NOTHING_SEEN = ExploitationScreening(
    risk=ExploitationRisk.none, rationale="Nothing points to harm outside the family."
)


def prose(rng: random.Random, chars: int) -> str:
    """Words up to about `chars` characters, as staff write them."""
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize() + "."


def result_of(
    rng: random.Random,
    task: InboxTask,
    rag: Rag,
    outcome: str,
    strategy: str | None,
    agencies: list[Agency],
) -> TaskResult:
    """The result staff would have submitted for the task, shaped as domain/tasks.py says."""
    done = task.closed_at or task.opened_at
    match task.kind:
        case TaskKind.screening:
            return ScreeningResult(
                rag=rag,
                rationale=prose(rng, 300),
                agencies=agencies,
                immediate_risk=outcome == "immediate_protection",
                exploitation=NOTHING_SEEN,
            )
        case TaskKind.agency_check:
            return AgencyCheckResult(
                known_to_agency=rng.random() < 0.4,
                information=prose(rng, 400),
                responder_name="Duty officer",
            )
        case TaskKind.decision:
            return decision(outcome, rationale=prose(rng, 400), exploitation=NOTHING_SEEN)
        case TaskKind.strategy_discussion:
            return StrategyDiscussionResult(
                held_at=done,
                attendees=ATTENDEES,
                outcome=StrategyOutcome(strategy or "nfa"),
                rationale=prose(rng, 400),
            )
        case _:
            return VisitResult(
                visited_at=done,
                child_seen=True,
                seen_alone=True,
                observations=prose(rng, 500),
                child_words=prose(rng, 120),
            )


def entries_of_case(
    rng: random.Random, referral: StoredReferral, tasks: list[InboxTask]
) -> list[RecordEntryInput]:
    """The case record of one sampled case, as the workflow would have written it."""

    def entry(
        step_key: str,
        kind: EntryKind,
        at: datetime,
        body: dict[str, Any],
        task: InboxTask | None = None,
        actor: str | None = None,
    ) -> RecordEntryInput:
        return RecordEntryInput(
            workflow_id=referral.workflow_id,
            referral_id=referral.referral_id,
            step_key=step_key,
            kind=kind,
            task_id=str(task.task_id) if task else None,
            actor=actor,
            occurred_at=at,
            body=body,
        )

    details = referral_details(referral.received_at, name=f"Child {rng.randrange(10**6)}")
    details = details.model_copy(update={"concern": prose(rng, 600)})
    entries = [
        entry(INTAKE_STEP, EntryKind.intake, referral.received_at, details.model_dump(mode="json"))
    ]
    agencies = [t.agency for t in tasks if t.agency is not None]
    rag, outcome = referral.rag or Rag.amber, str(referral.outcome)
    for task in tasks:
        result = result_of(rng, task, rag, outcome, referral.strategy_outcome, agencies)
        body: dict[str, Any] = {
            "task_kind": task.kind.value,
            "result": result.model_dump(mode="json"),
        }
        done = task.closed_at or task.opened_at
        key = f"task/{task.task_id}/result"
        entries.append(entry(key, EntryKind.task_result, done, body, task, task.completed_by))
    screened = referral.received_at + timedelta(hours=1)
    for n in range(1, rng.randrange(4) + 1):
        body = {"source": "police", "text": prose(rng, 300)}
        at = screened + timedelta(hours=n)
        entries.append(entry(f"information/{n}", EntryKind.information, at, body, None, "police"))
    if rng.random() < 0.6:  # a reminder on the screening task, as its ladder writes it
        screening = tasks[0]
        at = screening.due_at - timedelta(minutes=30)
        body = {
            "task_id": str(screening.task_id),
            "kind": "screening",
            "level": 0,
            "role": "assignee",
            "rung_at": at.isoformat(),
            "fired_at": at.isoformat(),
            "due_at": screening.due_at.isoformat(),
            "reason": "due soon",
            "told": screening.completed_by or "front_door_practitioners",
        }
        key = f"task/{screening.task_id}/rung/0"
        entries.append(entry(key, EntryKind.escalation, at, body, screening, "system"))
    return entries


async def write_sample(pool: asyncpg.Pool, sealer: RecordSealer, sample: list[uuid.UUID]) -> None:
    """Each sampled case's entries through the real sealing and insert, one transaction a case."""
    rng, record = random.Random(14), CaseRecord(sealer)
    async with pool.acquire() as conn:
        for referral_id in sample:
            referral = await get_referral(conn, referral_id)
            assert referral is not None
            tasks = await tasks_of_referral(conn, referral_id)
            async with conn.transaction():
                for entry in entries_of_case(rng, referral, tasks):
                    await record.write(PgCaseTransaction(conn), entry)
