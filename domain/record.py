"""The case record: what is kept in PostgreSQL about a child, entry by entry, for as long as the
retention schedule says (long after the workflow's history is gone).

Each entry is one thing recorded: the intake as taken in, a task's result as submitted (by whom
and when), an item of new information, an escalation, or a correction of an earlier entry (a new
entry naming the one it corrects and why; nothing is ever overwritten). Bodies hold personal data
and are sealed before they are stored.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

INTAKE_STEP = "intake"
"""The step key of a case's intake entry."""


class EntryKind(StrEnum):
    intake = "intake"
    task_result = "task_result"
    information = "information"
    escalation = "escalation"
    correction = "correction"


class RecordEntry(BaseModel):
    """An entry as read back from the record, opened."""

    entry_id: int
    referral_id: UUID
    kind: EntryKind
    step_key: str
    task_id: UUID | None = None
    actor: str | None = None
    occurred_at: datetime
    recorded_at: datetime
    corrects: int | None = None
    body: dict[str, Any]


class ChildKeys(BaseModel):
    """What the record keeps to find a child's other referrals and to time its disposal: keyed
    identifiers (never the NHS number or name itself) and the day the child turns 18."""

    nhs: str | None = None
    name_dob: str | None = None
    adult_on: date | None = None


def adult_on(born: date) -> date:
    """The child's 18th birthday (29 February counts as 1 March in a common year)."""
    try:
        return born.replace(year=born.year + 18)
    except ValueError:
        return date(born.year + 18, 3, 1)
