"""What the `frontdoor records` commands (cli/records.py) do, as functions of a connection, each
opening its own transactions: placing and lifting legal holds with their audit rows, disposing of
what the retention schedule says is due, re-sealing the record under the current key.

Audit rows carry ids, codes and the rule applied, never personal data: a hold's reason is free
text, so it stays on the hold (`frontdoor records holds` shows it) and out of the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

from core.sealing import RecordSealer, SealError, entry_binding
from core.settings import Settings
from domain.audit import AuditEvent
from domain.retention import RetentionSchedule
from store import case_entry, disposal, legal_hold, referral
from store.audit_event import insert_audit_event
from store.pool import Conn

REASON_MAX = 200

Say = Callable[[str], object]


class HoldError(Exception):
    """A hold cannot be placed or lifted as asked; the message says why."""


def schedule_of(settings: Settings) -> RetentionSchedule:
    return RetentionSchedule(
        years_after_adulthood=settings.retention_years_after_adulthood,
        years_after_closure=settings.retention_years_after_closure,
    )


def _hold_event(
    workflow_id: str, hold: legal_hold.LegalHold, *, lifted: bool, at: datetime
) -> AuditEvent:
    what = "lifted" if lifted else "placed"
    return AuditEvent(
        workflow_id=workflow_id,
        step_key=f"legal-hold/{hold.hold_id}/{what}",
        kind=f"legal_hold_{what}",
        actor=hold.lifted_by if lifted else hold.placed_by,
        occurred_at=at,
        details={"hold_id": hold.hold_id, "scope": hold.scope.value},
    )


async def place_holds(
    conn: Conn, referral_id: UUID, *, whole_child: bool, reason: str, by: str, at: datetime
) -> list[legal_hold.LegalHold]:
    """Hold the referral, or (`whole_child`) every referral of its child: one hold per keyed
    identifier the referral has (NHS number; name and date of birth), since either one finds
    the child's other referrals."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX or "\n" in reason:
        raise HoldError(f"give a one-line reason of at most {REASON_MAX} characters")
    if not by.strip():
        raise HoldError("say who is placing the hold (--by)")
    async with conn.transaction():
        # Locked: a disposal of this referral running now finishes first, or sees the hold.
        facts = await referral.retention_facts(conn, referral_id, lock=True)
        if facts is None:
            raise HoldError(f"referral {referral_id} was not found")
        if facts.disposed_at is not None:
            raise HoldError(f"the record of referral {referral_id} was already disposed of")
        if whole_child:
            keys = [k for k in (facts.child_nhs_number, facts.child_match_key) if k is not None]
            if not keys:
                raise HoldError(
                    f"referral {referral_id} has no identifier of its child to find the "
                    "child's other referrals by; hold it with --referral"
                )
            targets: list[tuple[UUID | None, str | None]] = [(None, key) for key in keys]
        else:
            targets = [(referral_id, None)]
        placed = []
        for held_referral, child_key in targets:
            hold = await legal_hold.place_hold(
                conn,
                placed_from=referral_id,
                referral_id=held_referral,
                child_key=child_key,
                reason=reason,
                placed_by=by,
                at=at,
            )
            await insert_audit_event(
                conn, _hold_event(facts.workflow_id, hold, lifted=False, at=at)
            )
            placed.append(hold)
        return placed


async def lift_holds(
    conn: Conn, hold_ids: list[int], *, by: str, at: datetime
) -> list[legal_hold.LegalHold]:
    """Lift every one of the holds, or none if one of them is not a hold in force."""
    if not by.strip():
        raise HoldError("say who is lifting the hold (--by)")
    async with conn.transaction():
        lifted = []
        for hold_id in dict.fromkeys(hold_ids):
            hold = await legal_hold.lift_hold(conn, hold_id, lifted_by=by, at=at)
            if hold is None:
                known = await legal_hold.get_hold(conn, hold_id)
                state = "no such hold" if known is None else "already lifted"
                raise HoldError(f"hold {hold_id}: {state}; nothing was lifted")
            facts = await referral.retention_facts(conn, hold.placed_from)
            assert facts is not None  # referral rows are never deleted
            await insert_audit_event(conn, _hold_event(facts.workflow_id, hold, lifted=True, at=at))
            lifted.append(hold)
        return lifted


def _what(counts: dict[str, int]) -> str:
    """A disposal's counts as the command prints them."""
    return (
        f"{counts['entries_deleted']} entries, {counts['people_deleted']} people, "
        f"{counts['links_deleted']} links, {counts['entities_deleted']} linked entities; "
        f"{counts['people_kept']} people kept for other cases"
    )


def _counts(result: disposal.Disposal) -> dict[str, int]:
    return {
        "entries_deleted": result.entries_deleted,
        "people_deleted": result.people_deleted,
        "people_kept": result.people_kept,
        "links_deleted": result.links_deleted,
        "entities_deleted": result.entities_deleted,
    }


async def dispose_due(
    conn: Conn,
    schedule: RetentionSchedule,
    today: date,
    *,
    dry_run: bool,
    actor: str,
    at: datetime,
    say: Say,
) -> str:
    """Dispose of (or with `dry_run`, list) every record due today and not held, one
    transaction each, then the people and links records disposed of earlier still have,
    saying a line per case with its counts; the summary line."""
    done = held = 0
    total = dict.fromkeys(("entries_deleted", "people_deleted", "people_kept",
                           "links_deleted", "entities_deleted"), 0)  # fmt: skip
    disposing: set[UUID] = set()  # a dry run's cases so far, taken as gone for the next ones

    def add(counts: dict[str, int]) -> None:
        for key, value in counts.items():
            total[key] += value

    async for page in disposal.due_cases(conn, schedule, today):
        for due in page:
            if due.held:
                holds = ", ".join(map(str, due.hold_ids))
                say(f"held          {due.referral_id}  {due.retention.rule}  (hold {holds})")
                held += 1
                continue
            if dry_run:
                counts = (await disposal.would_dispose(conn, due.referral_id, disposing)).counts()
                disposing.add(due.referral_id)
                say(f"would dispose {due.referral_id}  {due.retention.rule}  ({_what(counts)})")
                done += 1
                add(counts)
                continue
            async with conn.transaction():
                result = await disposal.dispose(
                    conn, due.referral_id, schedule, today, actor=actor, at=at
                )
            if result.outcome is disposal.Outcome.disposed:
                counts = _counts(result)
                say(f"disposed      {due.referral_id}  {result.rule}  ({_what(counts)})")
                done += 1
                add(counts)
            elif result.outcome is disposal.Outcome.held:
                say(f"held          {due.referral_id}  {result.rule}  (hold placed meanwhile)")
                held += 1
    earlier = 0
    for referral_id in await disposal.earlier_remains(conn):
        if referral_id in disposing:
            continue
        if dry_run:
            counts = (await disposal.would_dispose(conn, referral_id, disposing)).counts()
            disposing.add(referral_id)
            say(f"would clear   {referral_id}  disposed of earlier  ({_what(counts)})")
        else:
            async with conn.transaction():
                result = await disposal.dispose_remains(conn, referral_id, actor=actor, at=at)
            if result.outcome is disposal.Outcome.held:
                holds = ", ".join(map(str, result.hold_ids))
                say(f"held          {referral_id}  disposed of earlier  (hold {holds})")
            if result.outcome is not disposal.Outcome.disposed:
                continue
            counts = _counts(result)
            say(f"cleared       {referral_id}  disposed of earlier  ({_what(counts)})")
        earlier += 1
        add(counts)
    also = f"; and the remains of {earlier} disposed of earlier" if earlier else ""
    if dry_run:
        return (
            f"dry run: {done} record(s) would be disposed of{also} ({_what(total)}), "
            f"{held} due but held; nothing changed"
        )
    return f"disposed of {done} record(s){also} ({_what(total)}), {held} due but held"


async def reseal_all(conn: Conn, sealer: RecordSealer, batch: int, *, say: Say) -> str:
    """Re-seal every entry under another key with the current one, `batch` a transaction (a
    stop loses at most the batch in flight, which the next run does again); the summary line."""
    current = sealer.current_key_id
    total = batches = 0
    while True:
        async with conn.transaction():
            entries = await case_entry.sealed_under_other_keys(conn, current, batch)
            for entry in entries:
                bound = entry_binding(entry.workflow_id, entry.step_key)
                try:
                    resealed = sealer.reseal(entry.sealed, bound_to=bound)
                except SealError as err:
                    raise SealError(
                        f"entry {entry.entry_id}: {err}; add that key after the current one in "
                        "FRONTDOOR_PAYLOAD_KEYS and run again (this batch was not changed)"
                    ) from err
                await case_entry.reseal(conn, entry.entry_id, resealed)
        if not entries:
            break
        batches += 1
        total += len(entries)
        say(f"batch {batches}: re-sealed {len(entries)} entries ({total} so far)")
    if not total:
        return f"every record entry is already sealed under key {current!r}"
    return f"re-sealed {total} entries in {batches} batch(es); every entry is under key {current!r}"
