"""Disposal of case records under the retention schedule, across the tables a record spans:
finding the closed referrals that are due (`referral`, the schedule in domain/retention.py) and
whether a legal hold stops them (`legal_hold`), and disposing of one in the caller's transaction:
its `case_entry` rows deleted, what auditors wrote cleared, its links and the people only dead
cases name deleted (store/disposal_people.py), its personal matching data on `referral`
cleared, and an `audit_event` row naming the referral, the rule applied and counts, never
personal data.

What stays: the referral row's codes and instants, its tasks (codes and staff ids), the
notification outbox (ids and codes), the audit and access trails (ids, codes, staff ids), and
the people and linked entities a live case still has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID

from domain.audit import AuditEvent
from domain.calendar import LONDON
from domain.retention import Retention, RetentionSchedule, latest_start, retention
from store import audit, case_entry, disposal_people, legal_hold, referral
from store.audit_event import insert_audit_event
from store.pool import Conn

DISPOSED_KIND = "record_disposed"
DISPOSED_STEP = "record-disposed"
REMAINS_KIND = "record_remains_disposed"


@dataclass(frozen=True)
class DueCase:
    """A closed referral the schedule says is due, with the active holds that keep it."""

    referral_id: UUID
    workflow_id: str
    retention: Retention
    hold_ids: list[int] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return bool(self.hold_ids)


def _target(facts: referral.RetentionFacts) -> legal_hold.HoldTarget:
    return legal_hold.HoldTarget(facts.referral_id, facts.child_nhs_number, facts.child_match_key)


async def due_cases(
    conn: Conn, schedule: RetentionSchedule, today: date, *, page: int = 500
) -> AsyncIterator[list[DueCase]]:
    """Every closed referral due on `today` and not yet disposed of, page by page, each with the
    active holds (on it or on its child) that stop its disposal."""
    # The query narrows by each rule's latest possible start; `retention` then decides exactly.
    closed_on_or_before = latest_start(today, schedule.years_after_closure)
    closed_before = datetime.combine(closed_on_or_before + timedelta(days=1), time(), LONDON)
    adult_on_or_before = latest_start(today, schedule.years_after_adulthood)
    after: tuple[datetime, UUID] | None = None
    while True:
        rows = await referral.awaiting_disposal(
            conn,
            closed_before=closed_before,
            adult_on_or_before=adult_on_or_before,
            after=after,
            limit=page,
        )
        if not rows:
            return
        last = rows[-1]
        assert last.closed_at is not None
        after = (last.closed_at, last.referral_id)
        due = []
        for facts in rows:
            kept = retention(schedule, adult_on=facts.child_adult_on, closed_at=facts.closed_at)
            if kept is not None and kept.is_due(today):
                due.append((facts, kept))
        holds = await legal_hold.active_holds_on(conn, [_target(facts) for facts, _ in due])
        yield [
            DueCase(f.referral_id, f.workflow_id, kept, holds.get(f.referral_id, []))
            for f, kept in due
        ]


class Outcome(StrEnum):
    disposed = "disposed"
    held = "held"
    not_due = "not_due"  # already disposed of, still open, or not yet due


@dataclass(frozen=True)
class Disposal:
    referral_id: UUID
    outcome: Outcome
    rule: str | None = None
    entries_deleted: int = 0
    hold_ids: list[int] = field(default_factory=list)
    people_deleted: int = 0
    people_kept: int = 0
    """The case's people who stay, each in a case not disposed of."""
    links_deleted: int = 0
    entities_deleted: int = 0
    """Places, peer groups and adults of concern no remaining case is linked to."""


def _disposed(referral_id: UUID, rule: str | None, done: disposal_people.Plan) -> Disposal:
    return Disposal(
        referral_id,
        Outcome.disposed,
        rule,
        entries_deleted=done.entries,
        people_deleted=len(done.people),
        people_kept=done.people_kept,
        links_deleted=len(done.links),
        entities_deleted=len(done.entities),
    )


async def would_dispose(
    conn: Conn, referral_id: UUID, disposing: set[UUID]
) -> disposal_people.Plan:
    """What disposing of the referral would take, those in `disposing` taken first (a dry run's
    earlier cases); changes nothing."""
    return await disposal_people.plan(conn, referral_id, disposing)


async def dispose(
    conn: Conn,
    referral_id: UUID,
    schedule: RetentionSchedule,
    today: date,
    *,
    actor: str,
    at: datetime,
) -> Disposal:
    """Dispose of the referral's record if it is due and not held, in the caller's transaction.

    Its row is locked and the schedule and holds checked again under the lock, so a hold placed
    meanwhile, or another run of the command, is seen.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("dispose runs in the caller's transaction")
    facts = await referral.retention_facts(conn, referral_id, lock=True)
    if facts is None or facts.disposed_at is not None:
        return Disposal(referral_id, Outcome.not_due)
    kept = retention(schedule, adult_on=facts.child_adult_on, closed_at=facts.closed_at)
    if kept is None or not kept.is_due(today):
        return Disposal(referral_id, Outcome.not_due)
    holds = await legal_hold.active_holds_on(conn, [_target(facts)])
    if referral_id in holds:
        return Disposal(referral_id, Outcome.held, kept.rule, hold_ids=holds[referral_id])
    await disposal_people.lock(conn)
    planned = await disposal_people.plan(conn, referral_id, set())
    deleted = await case_entry.dispose_of(conn, referral_id)
    done = await disposal_people.carry_out(conn, referral_id, replace(planned, entries=deleted))
    await audit.forget_text_of(conn, referral_id)
    await referral.mark_disposed(conn, referral_id, at)
    await insert_audit_event(
        conn,
        AuditEvent(
            workflow_id=facts.workflow_id,
            step_key=DISPOSED_STEP,
            kind=DISPOSED_KIND,
            actor=actor,
            occurred_at=at,
            # Ids, the rule and counts only: the due date would tell the child's date of birth.
            details={"referral_id": str(referral_id), "rule": kept.rule, **done.counts()},
        ),
    )
    return _disposed(referral_id, kept.rule, done)


async def dispose_remains(conn: Conn, referral_id: UUID, *, actor: str, at: datetime) -> Disposal:
    """For a referral disposed of before disposal reached people and links (or by other means):
    delete its links and the people only dead cases name, as `dispose` does, in the caller's
    transaction, with an audit row of counts. `not_due` if it is not disposed of."""
    if not conn.is_in_transaction():
        raise RuntimeError("dispose_remains runs in the caller's transaction")
    facts = await referral.retention_facts(conn, referral_id, lock=True)
    if facts is None or facts.disposed_at is None:
        return Disposal(referral_id, Outcome.not_due)
    holds = await legal_hold.active_holds_on(conn, [_target(facts)])
    if referral_id in holds:
        return Disposal(referral_id, Outcome.held, hold_ids=holds[referral_id])
    await disposal_people.lock(conn)
    planned = await disposal_people.plan(conn, referral_id, set())
    done = await disposal_people.carry_out(conn, referral_id, planned)
    await insert_audit_event(
        conn,
        AuditEvent(
            workflow_id=facts.workflow_id,
            step_key=f"{DISPOSED_STEP}/remains/{at.isoformat()}",
            kind=REMAINS_KIND,
            actor=actor,
            occurred_at=at,
            details={"referral_id": str(referral_id), **done.counts()},
        ),
    )
    return _disposed(referral_id, None, done)


async def earlier_remains(conn: Conn) -> list[UUID]:
    """Referrals disposed of that still have people or links."""
    return await disposal_people.earlier_remains(conn)
