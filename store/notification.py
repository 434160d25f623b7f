"""Queries on `notification`, the outbox, and its row model `Notification`. The case activities
queue rows (through store/case_record.py), keyed by (workflow id, step key) with an id derived
from that key (`domain.notifications`, which also checks the payload): a retry queues nothing
twice. The notifier (notifier/dispatcher.py) is the only writer of the delivery columns: a row
is `pending` until `sent` or `failed` (with a `failure_reason`, listed by `list_undeliverable`).
Callers open any transaction.

A claim is a lease, not a lock held across the send: `claim_due` marks rows `claimed_until` in a
statement of its own (`FOR UPDATE SKIP LOCKED`, so two dispatchers never claim the same row), the
email goes out with no transaction open, and the outcome is recorded afterwards. A dispatcher
that dies mid-batch leaves claims that expire, and another dispatcher sends those rows again:
delivery is at least once, and the stable Message-ID lets the recipient spot the duplicate.
`attempts` counts claims that were meant to send, so a row that kills its dispatcher still fails
after the set number of attempts instead of looping for ever. The delivery functions take `now`
from the caller (the notifier's clock), so tests can move time.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from domain.notifications import notification_id_for, notification_payload
from domain.records import NotifyInput
from store.directory_entry import ASSIGNEE_PREFIX, DirectoryEntry, EntryKind
from store.pool import Conn

# Only one dispatcher gathers digests at a time, so a digest is never split between two emails
# that carry the same Message-ID. Any constant: the same in every process.
DIGEST_LOCK_KEY = 0x46444E4F54494659  # "FDNOTIFY"

NO_RECIPIENT = "no_recipient"
ATTEMPTS_EXHAUSTED = "attempts_exhausted"
RECIPIENT_REFUSED = "recipient_refused"


class Notification(BaseModel):
    """A row of `notification`: what to send to whom, and where its delivery stands. A claimed
    row's `attempts` includes the claim; `digest_*` are set while it waits for a digest, the
    `fail*` columns once it is given up."""

    notification_id: UUID
    workflow_id: str
    step_key: str
    kind: str
    recipient_team: str
    recipient_role: str | None
    payload: dict[str, Any]
    status: str
    attempts: int
    created_at: datetime
    digest_mailbox: str | None
    digest_at: datetime | None
    failure_reason: str | None
    last_error: str | None
    failed_at: datetime | None

    @property
    def referral_id(self) -> str | None:
        """The case the row is about, as the payload names it."""
        value = self.payload.get("referral_id")
        return value if isinstance(value, str) else None


# Every query reads the table as `n` and returns these: the whole `Notification`.
_COLUMNS = """
    n.notification_id, n.workflow_id, n.step_key, n.kind, n.recipient_team, n.recipient_role,
    n.payload, n.status, n.attempts, n.created_at, n.digest_mailbox, n.digest_at,
    n.failure_reason, n.last_error, n.failed_at
"""


def _rows(rows: list[Any]) -> list[Notification]:
    return [
        Notification.model_validate({**dict(r), "payload": json.loads(r["payload"])}) for r in rows
    ]


def _count(status: str) -> int:
    """The row count of an asyncpg command status such as "UPDATE 3"."""
    return int(status.rsplit(" ", 1)[-1])


# ---- queueing (the case activities) ---------------------------------------------------------


async def queue_notification(conn: Conn, notice: NotifyInput) -> UUID:
    """Queue the notification unless one is queued for the same step; return its id either way.

    Whatever was queued first for the step stays: a retry never changes its recipient.
    """
    notification_id = notification_id_for(notice.workflow_id, notice.step_key)
    await conn.execute(
        """
        INSERT INTO notification (notification_id, workflow_id, step_key, kind, recipient_team,
                                  recipient_role, payload)
        VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
        ON CONFLICT (workflow_id, step_key) DO NOTHING
        """,
        notification_id,
        notice.workflow_id,
        notice.step_key,
        notice.kind,
        notice.recipient_team,
        notice.recipient_role,
        json.dumps(notification_payload(notice)),
    )
    return notification_id


async def get_notification(conn: Conn, notification_id: UUID) -> Notification | None:
    """The notification with `notification_id`, or None."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM notification n WHERE n.notification_id = $1", notification_id
    )
    return next(iter(_rows(rows)), None)


# ---- delivery (the notifier) ----------------------------------------------------------------


async def claim_due(
    conn: Conn, *, claimer: str, now: datetime, lease: timedelta, limit: int
) -> list[Notification]:
    """Claim up to `limit` pending rows that are due and not parked for a digest, oldest due
    first, for `lease`; rows another dispatcher holds (locked or leased) are skipped."""
    rows = await conn.fetch(
        f"""
        WITH due AS (
            SELECT notification_id FROM notification
            WHERE status = 'pending' AND digest_at IS NULL AND next_attempt_at <= $1
              AND (claimed_until IS NULL OR claimed_until <= $1)
            ORDER BY next_attempt_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        UPDATE notification n
        SET claimed_until = $1 + $3::interval, claimed_by = $4, attempts = n.attempts + 1
        FROM due WHERE n.notification_id = due.notification_id
        RETURNING {_COLUMNS}
        """,
        now,
        limit,
        lease,
        claimer,
    )
    return _rows(rows)


async def claim_digests(
    conn: Conn, *, claimer: str, now: datetime, lease: timedelta
) -> list[Notification]:
    """Claim every row whose digest is due, whole digests at a time; [] while another dispatcher
    is gathering. Run inside a transaction: the gathering lock ends with it."""
    if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", DIGEST_LOCK_KEY):
        return []
    rows = await conn.fetch(
        f"""
        WITH due AS (
            SELECT notification_id FROM notification
            WHERE status = 'pending' AND digest_at <= $1 AND next_attempt_at <= $1
              AND (claimed_until IS NULL OR claimed_until <= $1)
            FOR UPDATE SKIP LOCKED
        )
        UPDATE notification n
        SET claimed_until = $1 + $2::interval, claimed_by = $3, attempts = n.attempts + 1
        FROM due WHERE n.notification_id = due.notification_id
        RETURNING {_COLUMNS}
        """,
        now,
        lease,
        claimer,
    )
    return sorted(_rows(rows), key=lambda c: (c.created_at, c.notification_id))


async def mark_sent(conn: Conn, ids: list[UUID], *, message_id: str, now: datetime) -> int:
    """Record rows as sent under `message_id`, whoever holds their lease now: the email is out."""
    status = await conn.execute(
        """
        UPDATE notification
        SET status = 'sent', sent_at = $2, message_id = $3, claimed_until = NULL,
            claimed_by = NULL, last_error = NULL
        WHERE notification_id = ANY($1::uuid[]) AND status = 'pending'
        """,
        ids,
        now,
        message_id,
    )
    return _count(status)


async def schedule_retry(
    conn: Conn, ids: list[UUID], *, claimer: str, next_attempt_at: datetime, error: str
) -> int:
    """Release this dispatcher's claim on rows and make them due again at `next_attempt_at`."""
    status = await conn.execute(
        """
        UPDATE notification
        SET next_attempt_at = $3, last_error = $4, claimed_until = NULL, claimed_by = NULL
        WHERE notification_id = ANY($1::uuid[]) AND status = 'pending' AND claimed_by = $2
        """,
        ids,
        claimer,
        next_attempt_at,
        error,
    )
    return _count(status)


async def mark_failed(
    conn: Conn, ids: list[UUID], *, reason: str, error: str, now: datetime
) -> int:
    """Give rows up as undeliverable, with the reason the dashboard shows."""
    status = await conn.execute(
        """
        UPDATE notification
        SET status = 'failed', failure_reason = $2, last_error = $3, failed_at = $4,
            claimed_until = NULL, claimed_by = NULL
        WHERE notification_id = ANY($1::uuid[]) AND status = 'pending'
        """,
        ids,
        reason,
        error,
        now,
    )
    return _count(status)


async def park_for_digest(
    conn: Conn, notification_id: UUID, *, claimer: str, mailbox: str, digest_at: datetime
) -> bool:
    """Hold a claimed row for the digest `mailbox` receives at `digest_at`; parking is no attempt
    to send, so the claim's attempt is given back."""
    status = await conn.execute(
        """
        UPDATE notification
        SET digest_mailbox = $3, digest_at = $4, next_attempt_at = $4,
            attempts = greatest(attempts - 1, 0), claimed_until = NULL, claimed_by = NULL
        WHERE notification_id = $1 AND status = 'pending' AND claimed_by = $2
        """,
        notification_id,
        claimer,
        mailbox,
        digest_at,
    )
    return _count(status) == 1


async def release(conn: Conn, ids: list[UUID], *, claimer: str) -> int:
    """Give back claims this dispatcher will not use (its lease ran short), attempt and all."""
    status = await conn.execute(
        """
        UPDATE notification
        SET claimed_until = NULL, claimed_by = NULL, attempts = greatest(attempts - 1, 0)
        WHERE notification_id = ANY($1::uuid[]) AND status = 'pending' AND claimed_by = $2
        """,
        ids,
        claimer,
    )
    return _count(status)


# ---- the undeliverable (the dashboard, `frontdoor directory set`) --------------------------


async def list_undeliverable(
    conn: Conn, *, limit: int = 100, reason: str | None = None
) -> list[Notification]:
    """Failed rows, most recently failed first, optionally of one `reason`."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM notification n
        WHERE n.status = 'failed' AND ($2::text IS NULL OR n.failure_reason = $2)
        ORDER BY n.failed_at DESC NULLS LAST, n.notification_id
        LIMIT $1
        """,
        limit,
        reason,
    )
    return _rows(rows)


async def requeue_no_recipient(conn: Conn, entry: DirectoryEntry, *, now: datetime) -> int:
    """Make rows that failed for want of `entry` pending again, as new (a mailbox was added for
    them); return how many. Matches the rules of `Directory.resolve`."""
    if entry.kind is EntryKind.user:
        match, params = "recipient_role = $3", [ASSIGNEE_PREFIX + entry.name]
    elif entry.role:
        match, params = "recipient_team = $3 AND recipient_role = $4", [entry.name, entry.role]
    else:
        match = "recipient_team = $3 AND (recipient_role IS NULL OR recipient_role LIKE $4)"
        params = [entry.name, ASSIGNEE_PREFIX + "%"]
    status = await conn.execute(
        f"""
        UPDATE notification
        SET status = 'pending', failure_reason = NULL, failed_at = NULL, last_error = NULL,
            attempts = 0, next_attempt_at = $2
        WHERE status = 'failed' AND failure_reason = $1 AND {match}
        """,
        NO_RECIPIENT,
        now,
        *params,
    )
    return _count(status)


# ---- health (the notifier's metrics) ----------------------------------------------------------


class OutboxHealth(BaseModel):
    """How far behind the outbox is, for the notifier's metrics (docs/operations.md)."""

    pending: int
    due: int
    oldest_due_seconds: float  # 0 when nothing is due
    failed: int


async def outbox_health(conn: Conn, *, now: datetime) -> OutboxHealth:
    row = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
               count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= $1) AS due,
               coalesce(extract(epoch FROM $1 - min(next_attempt_at)
                   FILTER (WHERE status = 'pending' AND next_attempt_at <= $1)), 0) AS oldest,
               count(*) FILTER (WHERE status = 'failed') AS failed
        FROM notification
        WHERE status IN ('pending', 'failed')
        """,
        now,
    )
    assert row is not None
    return OutboxHealth(
        pending=row["pending"],
        due=row["due"],
        oldest_due_seconds=float(row["oldest"]),
        failed=row["failed"],
    )
