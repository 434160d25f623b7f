"""Cases as the retention tests need them: a `referral` row (open or closed, with the child's
keyed identifiers and coming of age) and its sealed `case_entry` rows, written directly."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from core.sealing import RecordSealer, entry_binding, record_sealer
from core.settings import Settings
from domain.record import EntryKind
from store.case_entry import insert_entry
from store.pool import Conn

LONG_AGO = datetime(2012, 5, 1, 10, tzinfo=UTC)
"""Closed this long ago, a case is past closure+3y on any day these tests run."""


def sealer_for_tests() -> RecordSealer:
    """The sealer of the tests' keys (tests/conftest.py sets them in the environment)."""
    return record_sealer(Settings())


@dataclass(frozen=True)
class Case:
    referral_id: uuid.UUID
    workflow_id: str
    bodies: dict[str, dict[str, str]]
    """Each entry's step key and what was sealed in it."""


async def make_case(
    conn: Conn,
    sealer: RecordSealer,
    *,
    closed_at: datetime | None = LONG_AGO,
    adult_on: date | None = date(2013, 1, 1),
    nhs: str | None = None,
    match_key: str | None = None,
    entries: int = 2,
) -> Case:
    referral_id = uuid.uuid4()
    workflow_id = f"referral-{referral_id}"
    await conn.execute(
        """
        INSERT INTO referral (referral_id, workflow_id, policy_version, received_at, source_code,
                              stage, closed_at, child_nhs_number, child_match_key, child_adult_on)
        VALUES ($1, $2, 'england-2023', $3, '3A', $4, $5, $6, $7, $8)
        """,
        referral_id,
        workflow_id,
        closed_at or datetime.now(UTC),
        "closed" if closed_at else "screening",
        closed_at,
        nhs,
        match_key,
        adult_on,
    )
    bodies = {}
    for n in range(entries):
        step_key = "intake" if n == 0 else f"information/{n}"
        body = {"concern": f"what the referrer said, entry {n}"}
        sealed = sealer.seal(
            json.dumps(body).encode(), bound_to=entry_binding(workflow_id, step_key)
        )
        await insert_entry(
            conn,
            referral_id=referral_id,
            workflow_id=workflow_id,
            step_key=step_key,
            kind=EntryKind.intake if n == 0 else EntryKind.information,
            task_id=None,
            actor="sw.smith",
            occurred_at=closed_at or datetime.now(UTC),
            sealed=sealed,
        )
        bodies[step_key] = body
    return Case(referral_id, workflow_id, bodies)
