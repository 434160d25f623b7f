"""Correcting the case record: a correction is a new entry naming the entry it corrects, who
made it and why, with the corrected content; the entry it corrects stays as it was. Reads show
the latest correction of each entry (api/record.py), and the chronology shows both.

The record is otherwise written only by the activities, in a case's steps; a correction can come
long after the case closed and its workflow left Temporal, so the API writes it itself, in one
transaction with its audit event.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import Field, TypeAdapter, ValidationError

from api.auth import StaffRole, User
from api.errors import ApiError
from api.idempotency import KeyedWrite, caller_tag, fingerprint_of
from core.sealing import RecordSealer, entry_binding
from domain.audit import AuditEvent
from domain.inputs import InputModel
from domain.record import EntryKind, RecordEntry
from domain.referral import ReferralDetails
from domain.tasks import TaskResult
from store import audit_event as audit_event_store
from store import case_entry as case_entry_store

_RESULT: TypeAdapter[TaskResult] = TypeAdapter(TaskResult)
CORRECTABLE = (EntryKind.intake, EntryKind.task_result, EntryKind.information)


class Correction(InputModel):
    """A correction of one entry: the whole corrected content, and why."""

    entry_id: int = Field(ge=1)
    reason: str = Field(min_length=3, max_length=2_000)
    corrected: dict[str, Any]


def corrected_body(entry: RecordEntry, corrected: dict[str, Any]) -> dict[str, Any]:
    """The corrected content checked as the entry's own kind; 422 naming the field if not."""
    try:
        match entry.kind:
            case EntryKind.intake:
                return ReferralDetails.model_validate(corrected).model_dump(mode="json")
            case EntryKind.task_result:
                result = _RESULT.validate_python(corrected.get("result"))
                if result.kind != entry.body["task_kind"]:
                    raise ApiError(
                        422,
                        "invalid_request",
                        f"entry {entry.entry_id} is a {entry.body['task_kind']} result",
                        [{"field": "corrected.result.kind", "problem": "another kind of task"}],
                    )
                return {"task_kind": result.kind, "result": result.model_dump(mode="json")}
            case _:
                source, text = corrected.get("source"), corrected.get("text")
                if not isinstance(source, str) or not isinstance(text, str) or not text.strip():
                    raise ValueError("new information is corrected with its source and text")
                return {"source": source, "text": text}
    except (ValidationError, ValueError) as err:
        problem = str(err).splitlines()[0] if not isinstance(err, ValidationError) else str(err)
        raise ApiError(
            422, "invalid_request", "the corrected content does not fit the entry",
            [{"field": "corrected", "problem": problem[:500]}],
        ) from None  # fmt: skip


async def correct(
    pool: asyncpg.Pool,
    sealer: RecordSealer,
    user: User,
    referral_id: UUID,
    workflow_id: str,
    target: RecordEntry,
    correction: Correction,
    key: str,
) -> bool:
    """Write the correction and its audit event; False if this caller's key already wrote it
    (with the same body: another body under the same key is a 422)."""
    if target.referral_id != referral_id or target.kind not in CORRECTABLE:
        raise ApiError(404, "not_found", f"referral {referral_id} has no entry {target.entry_id}")
    if not user.has(StaffRole.manager) and target.actor != user.user_id:
        raise ApiError(403, "forbidden", "only a manager or the entry's author may correct it")
    body = {
        "reason": correction.reason,
        "corrected": corrected_body(target, correction.corrected),
    }
    keyed = KeyedWrite(pool, f"correction/{referral_id}", user, key, fingerprint_of(correction))
    await keyed.claim()
    step_key = f"correction/{caller_tag(user)}/{key}"
    now = datetime.now(UTC)
    plain = json.dumps(body, separators=(",", ":")).encode()
    sealed = sealer.seal(plain, bound_to=entry_binding(workflow_id, step_key))
    async with pool.acquire() as conn, conn.transaction():
        written = await case_entry_store.insert_entry(
            conn,
            referral_id=referral_id,
            workflow_id=workflow_id,
            step_key=step_key,
            kind=EntryKind.correction,
            task_id=target.task_id,
            actor=user.user_id,
            occurred_at=now,
            sealed=sealed,
            corrects=target.entry_id,
        )
        await audit_event_store.insert_audit_event(
            conn,
            AuditEvent(
                workflow_id=workflow_id,
                step_key=step_key,
                kind="record_corrected",
                actor=user.user_id,
                occurred_at=now,
                details={"entry_id": target.entry_id, "entry_kind": target.kind.value},
            ),
        )
    return written
