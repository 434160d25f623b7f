"""Queries on `referral`, the case read model: the case activities' writes (through
store/case_record.py) and the managers' list of cases (`list_cases`, filters on codes and times
only). The workflow owns the case's state and this row follows it, one growing `revision` at a
time. The performance measures read it too (store/performance/).

Callers open the transaction; every function here runs inside whatever the caller holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from domain.case import CaseProgress, Deadline, Milestone, Stage
from domain.policy import DecisionOutcome, Rag, StrategyOutcome
from domain.record import ChildKeys
from domain.records import RegisterReferralInput
from domain.tasks import (
    AssessmentOutcome,
    ConferenceOutcome,
    ExploitationRisk,
    Section47Outcome,
)
from store.pool import Conn

RE_REFERRAL_WINDOW_DAYS = 365
"""How far back an earlier referral of the same child makes this one a re-referral."""

# The typed column (0001, 0013) of each deadline and milestone; the jsonb copies hold them all.
# The milestone `referred` is the column `referral_at`, written from `CaseProgress.referral_at`.
DEADLINE_COLUMNS: dict[Deadline, str] = {
    Deadline.screening: "screening_due_at",
    Deadline.checks: "checks_due_at",
    Deadline.mash_decision: "mash_decision_due_at",
    Deadline.referral_decision: "referral_decision_due_at",
    Deadline.acknowledgement: "acknowledgement_due_at",
    Deadline.referrer_feedback: "referrer_feedback_due_at",
    Deadline.strategy_discussion: "strategy_due_at",
    Deadline.visit: "visit_due_at",
    Deadline.handover: "handover_due_at",
    Deadline.assessment: "assessment_due_at",
    Deadline.icpc: "icpc_due_at",
}
MILESTONE_COLUMNS: dict[Milestone, str] = {
    Milestone.screened: "screened_at",
    Milestone.mash_decided: "mash_decided_at",
    Milestone.referral_decided: "referral_decided_at",
    Milestone.acknowledged: "acknowledged_at",
    Milestone.referrer_told: "referrer_told_at",
    Milestone.strategy_held: "strategy_held_at",
    Milestone.child_seen: "child_seen_at",
    Milestone.handed_over: "handed_over_at",
    Milestone.assessment_completed: "assessment_completed_at",
    Milestone.conference_held: "conference_held_at",
    Milestone.closed: "closed_at",
}

# The progress columns, in the order `_progress_values` gives their values ($2 onwards after
# workflow_id); `re_referral` is written as `re_referral OR $n` by apply_progress.
# fmt: off
PROGRESS_COLUMNS: tuple[str, ...] = (
    "revision", "stage", "recorded_at", "referral_at", "rag", "immediate_risk", "re_referral",
    "escalation_level", "outcome", "strategy_outcome", "section_47_outcome",
    "assessment_outcome", "conference_outcome", "exploitation_risk", "deadlines", "milestones",
    *DEADLINE_COLUMNS.values(), *MILESTONE_COLUMNS.values(), "next_due_at",
)
# fmt: on
_JSONB = ("deadlines", "milestones")


def _placeholder(column: str, n: int) -> str:
    return f"${n}::jsonb" if column in _JSONB else f"${n}"


def _progress_values(progress: CaseProgress) -> list[object]:
    """The values of PROGRESS_COLUMNS, in that order."""
    dumped = progress.model_dump(mode="json")
    return [
        progress.revision,
        progress.stage.value,
        progress.recorded_at,
        progress.referral_at or progress.milestones.get(Milestone.referred),
        progress.rag.value if progress.rag is not None else None,
        progress.immediate_risk,
        progress.re_referral,
        progress.escalation_level,
        progress.outcome,
        progress.strategy_outcome,
        progress.section_47_outcome,
        progress.assessment_outcome,
        progress.conference_outcome,
        progress.exploitation_risk,
        json.dumps(dumped["deadlines"]),
        json.dumps(dumped["milestones"]),
        *(progress.deadlines.get(key) for key in DEADLINE_COLUMNS),
        *(progress.milestones.get(key) for key in MILESTONE_COLUMNS),
        progress.next_due_at,
    ]


_REGISTERED = ("referral_id", "policy_version", "received_at", "source_code")
_CHILD_KEYS = ("child_nhs_number", "child_match_key", "child_adult_on")
_INSERT_COLUMNS = ("workflow_id", *PROGRESS_COLUMNS, *_REGISTERED, *_CHILD_KEYS)
_INSERT = f"""
    INSERT INTO referral ({", ".join(_INSERT_COLUMNS)})
    VALUES ({", ".join(_placeholder(c, n) for n, c in enumerate(_INSERT_COLUMNS, 1))})
    ON CONFLICT DO NOTHING
    RETURNING true
"""


def _assignment(column: str, n: int) -> str:
    if column == "re_referral":
        return f"re_referral = re_referral OR ${n}"
    return f"{column} = {_placeholder(column, n)}"


_UPDATE = f"""
    UPDATE referral SET
        {", ".join(_assignment(c, n) for n, c in enumerate(PROGRESS_COLUMNS, 2))},
        updated_at = now()
    WHERE workflow_id = $1 AND revision < $2
    RETURNING true
"""


async def upsert_referral(conn: Conn, referral: RegisterReferralInput, keys: ChildKeys) -> bool:
    """Insert the case row with its first progress and the child's keyed identifiers; do
    nothing if it exists (a retried registration). True if this call inserted it."""
    inserted = await conn.fetchval(
        _INSERT,
        referral.workflow_id,
        *_progress_values(referral.progress),
        referral.referral_id,
        referral.policy_version,
        referral.received_at,
        referral.source,
        keys.nhs,
        keys.name_dob,
        keys.adult_on,
    )
    return bool(inserted)


async def mark_re_referral(conn: Conn, workflow_id: str) -> None:
    """Record that earlier referrals of the same child were found (never unset again)."""
    await conn.execute(
        "UPDATE referral SET re_referral = true, updated_at = now()"
        " WHERE workflow_id = $1 AND NOT re_referral",
        workflow_id,
    )


async def find_earlier_referrals(
    conn: Conn, referral_id: UUID, received_at: datetime, keys: ChildKeys
) -> list[UUID]:
    """Other referrals of the same child (the same keyed NHS number, or the same keyed name and
    date of birth) received in the 365 days up to `received_at`, newest first. The boundary
    instant 365 days before counts; referrals received at or after `received_at` are not
    earlier."""
    if keys.nhs is None and keys.name_dob is None:
        return []
    rows = await conn.fetch(
        """
        SELECT referral_id FROM referral
        WHERE referral_id <> $1
          AND received_at < $2
          AND received_at >= $2 - make_interval(days => $5)
          AND (child_nhs_number = $3 OR child_match_key = $4)
        ORDER BY received_at DESC, referral_id
        """,
        referral_id,
        received_at,
        keys.nhs,
        keys.name_dob,
        RE_REFERRAL_WINDOW_DAYS,
    )
    return [row["referral_id"] for row in rows]


class StoredReferral(BaseModel):
    """A row of `referral` as the case record reads it: codes, instants and keyed identifiers."""

    referral_id: UUID
    workflow_id: str
    policy_version: str
    received_at: datetime
    source_code: str
    stage: Stage
    rag: Rag | None
    immediate_risk: bool
    re_referral: bool
    escalation_level: int
    outcome: DecisionOutcome | None
    strategy_outcome: StrategyOutcome | None
    exploitation_risk: ExploitationRisk | None
    recorded_at: datetime | None = None
    referral_at: datetime | None = None
    section_47_outcome: Section47Outcome | None = None
    assessment_outcome: AssessmentOutcome | None = None
    conference_outcome: ConferenceOutcome | None = None
    deadlines: dict[Deadline, datetime]
    milestones: dict[Milestone, datetime]
    closed_at: datetime | None
    child_nhs_number: str | None
    child_match_key: str | None
    child_adult_on: date | None
    disposed_at: datetime | None

    @property
    def child_keys(self) -> ChildKeys:
        return ChildKeys(
            nhs=self.child_nhs_number, name_dob=self.child_match_key, adult_on=self.child_adult_on
        )


async def get_referral(conn: Conn, referral_id: UUID) -> StoredReferral | None:
    row = await conn.fetchrow(
        """
        SELECT referral_id, workflow_id, policy_version, received_at, source_code, stage, rag,
               immediate_risk, re_referral, escalation_level, outcome, strategy_outcome,
               exploitation_risk, recorded_at, referral_at, section_47_outcome,
               assessment_outcome, conference_outcome, deadlines, milestones, closed_at,
               child_nhs_number, child_match_key, child_adult_on, disposed_at
        FROM referral WHERE referral_id = $1
        """,
        referral_id,
    )
    if row is None:
        return None
    values = dict(row)
    values["deadlines"] = json.loads(values["deadlines"])
    values["milestones"] = json.loads(values["milestones"])
    return StoredReferral.model_validate(values)


async def referrals_of_child(conn: Conn, keys: ChildKeys) -> list[UUID]:
    """Every referral of the child with these keyed identifiers, oldest first (any age)."""
    if keys.nhs is None and keys.name_dob is None:
        return []
    rows = await conn.fetch(
        """
        SELECT referral_id FROM referral
        WHERE child_nhs_number = $1 OR child_match_key = $2
        ORDER BY received_at, referral_id
        """,
        keys.nhs,
        keys.name_dob,
    )
    return [row["referral_id"] for row in rows]


async def apply_progress(conn: Conn, workflow_id: str, progress: CaseProgress) -> bool:
    """Bring the case row up to `progress` if it is newer than what is stored; True if it was.

    An activity retried or finishing after a later one carries an older revision and changes
    nothing. `re_referral` is never turned off: the registration activity finds earlier
    referrals in the database, and a progress built before the workflow saw that result must not
    undo it.
    """
    updated = await conn.fetchval(
        _UPDATE,
        workflow_id,
        *_progress_values(progress),
    )
    return bool(updated)


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to list; None means no filter."""

    stage: str | None = None
    rag: str | None = None
    overdue: bool | None = None
    escalation_level_gte: int | None = None
    re_referral: bool | None = None


# $1 stage, $2 rag, $3 overdue, $4 now, $5 lowest escalation level, $6 re-referral; a NULL
# filter passes every row. Overdue is something due at or before now.
_CASES_MATCHING = """
    FROM referral
    WHERE ($1::text IS NULL OR stage = $1)
      AND ($2::text IS NULL OR rag = $2)
      AND ($3::boolean IS NULL OR coalesce(next_due_at <= $4, false) = $3)
      AND ($5::integer IS NULL OR escalation_level >= $5)
      AND ($6::boolean IS NULL OR re_referral = $6)
"""


async def list_cases(
    conn: Conn, f: CaseFilter, *, now: datetime, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of cases sorted by next due time (cases with nothing due last), and the total."""
    filters = (f.stage, f.rag, f.overdue, now, f.escalation_level_gte, f.re_referral)
    rows = await conn.fetch(
        f"""
        SELECT referral_id, received_at, stage, rag, next_due_at, escalation_level, re_referral,
               outcome, coalesce(next_due_at <= $4, false) AS overdue
        {_CASES_MATCHING}
        ORDER BY next_due_at ASC NULLS LAST, received_at, referral_id
        LIMIT $7 OFFSET $8
        """,
        *filters,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) {_CASES_MATCHING}", *filters)
    return [dict(row) for row in rows], int(total)


# Retention (store/disposal.py, domain/retention.py): what disposal and legal holds read of a
# case, and the clearing of its personal data once the record is disposed of.


@dataclass(frozen=True)
class RetentionFacts:
    """What the retention schedule and legal holds need of a referral."""

    referral_id: UUID
    workflow_id: str
    closed_at: datetime | None
    child_adult_on: date | None
    child_nhs_number: str | None
    child_match_key: str | None
    disposed_at: datetime | None


_RETENTION_COLUMNS = """referral_id, workflow_id, closed_at, child_adult_on, child_nhs_number,
    child_match_key, disposed_at"""


async def retention_facts(
    conn: Conn, referral_id: UUID, *, lock: bool = False
) -> RetentionFacts | None:
    """The referral's retention facts; with `lock`, its row is locked until the transaction ends
    (disposal and the placing of a hold on it then happen one after the other)."""
    row = await conn.fetchrow(
        f"SELECT {_RETENTION_COLUMNS} FROM referral WHERE referral_id = $1"
        + (" FOR UPDATE" if lock else ""),
        referral_id,
    )
    return None if row is None else RetentionFacts(**dict(row))


async def awaiting_disposal(
    conn: Conn,
    *,
    closed_before: datetime,
    adult_on_or_before: date,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[RetentionFacts]:
    """A page of closed referrals not yet disposed of that closed before `closed_before` and
    whose child came of age on or before `adult_on_or_before` (or has no known birthday), in
    (closed_at, referral_id) order after `after`: the candidates the schedule then decides on."""
    rows = await conn.fetch(
        f"""
        SELECT {_RETENTION_COLUMNS} FROM referral
        WHERE closed_at IS NOT NULL AND disposed_at IS NULL
          AND closed_at < $1
          AND (child_adult_on IS NULL OR child_adult_on <= $2)
          AND ($3::timestamptz IS NULL OR (closed_at, referral_id) > ($3, $4::uuid))
        ORDER BY closed_at, referral_id
        LIMIT $5
        """,
        closed_before,
        adult_on_or_before,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [RetentionFacts(**dict(row)) for row in rows]


async def mark_disposed(conn: Conn, referral_id: UUID, at: datetime) -> bool:
    """Clear the child's matching data (keyed identifiers, coming of age) and record when the
    record was disposed of; the codes and instants stay for the statistics. False if it was
    already disposed of."""
    updated = await conn.fetchval(
        """
        UPDATE referral SET
            child_nhs_number = NULL, child_match_key = NULL, child_adult_on = NULL,
            disposed_at = $2, updated_at = now()
        WHERE referral_id = $1 AND disposed_at IS NULL
        RETURNING true
        """,
        referral_id,
        at,
    )
    return bool(updated)
