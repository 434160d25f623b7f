"""Queries on `audit`: one case of a sample, its auditor, status and overall grade. The overall
rationale arrives sealed (core/sealing.py, bound to `audit_binding`) and leaves sealed; callers
own the connection and any transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from core.sealing import Sealed
from domain.quality import AuditStatus, Grade, Reason
from store.pool import Conn


def audit_binding(audit_id: UUID, part: str) -> str:
    """What a sealed part of an audit is bound to, so it cannot be moved to another row."""
    return f"audit/{audit_id}/{part}"


@dataclass(frozen=True)
class StoredAudit:
    audit_id: UUID
    sample_id: UUID
    referral_id: UUID
    reasons: list[Reason]
    auditor: str
    to_moderate: bool
    status: AuditStatus
    overall_grade: Grade | None
    rationale: Sealed | None
    assigned_at: datetime
    submitted_at: datetime | None


_COLUMNS = """audit_id, sample_id, referral_id, reasons, auditor, to_moderate, status,
    overall_grade, rationale_key, rationale, assigned_at, submitted_at"""


def _audit(row: object) -> StoredAudit:
    r = dict(row)  # type: ignore[call-overload]
    key, body = r.pop("rationale_key"), r.pop("rationale")
    return StoredAudit(
        **{
            **r,
            "reasons": [Reason(x) for x in r["reasons"]],
            "status": AuditStatus(r["status"]),
            "overall_grade": Grade(r["overall_grade"]) if r["overall_grade"] else None,
        },
        rationale=Sealed(key, body) if key is not None else None,
    )


async def insert_audit(
    conn: Conn,
    *,
    audit_id: UUID,
    sample_id: UUID,
    referral_id: UUID,
    reasons: list[Reason],
    auditor: str,
    to_moderate: bool,
) -> None:
    await conn.execute(
        """
        INSERT INTO audit (audit_id, sample_id, referral_id, reasons, auditor, to_moderate)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        audit_id, sample_id, referral_id, [r.value for r in reasons], auditor, to_moderate,
    )  # fmt: skip


async def get_audit(conn: Conn, audit_id: UUID) -> StoredAudit | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM audit WHERE audit_id = $1", audit_id)
    return _audit(row) if row is not None else None


async def audits_of_sample(conn: Conn, sample_id: UUID) -> list[StoredAudit]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM audit WHERE sample_id = $1 ORDER BY referral_id", sample_id
    )
    return [_audit(row) for row in rows]


async def audits_of_auditor(conn: Conn, auditor: str) -> list[StoredAudit]:
    """An auditor's own audits, and those marked for moderation that someone else did, by age."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM audit
        WHERE auditor = $1 OR (to_moderate AND status = 'submitted' AND auditor <> $1)
        ORDER BY assigned_at, audit_id
        """,
        auditor,
    )
    return [_audit(row) for row in rows]


async def submit(
    conn: Conn, audit_id: UUID, *, grade: Grade, rationale: Sealed, now: datetime
) -> None:
    await conn.execute(
        """
        UPDATE audit SET overall_grade = $2, rationale_key = $3, rationale = $4,
                         status = 'submitted', submitted_at = $5
        WHERE audit_id = $1
        """,
        audit_id, grade.value, rationale.key_id, rationale.body, now,
    )  # fmt: skip


async def mark_moderated(conn: Conn, audit_id: UUID) -> None:
    await conn.execute("UPDATE audit SET status = 'moderated' WHERE audit_id = $1", audit_id)


DISPOSED_KEY = "disposed"
"""The key id left on an audit's text once its case's record was disposed of: nothing to open."""


async def forget_text_of(conn: Conn, referral_id: UUID) -> int:
    """Disposal: clear what auditors wrote about the referral (rationale, evidence, moderators'
    resolutions), keeping the grades for the quality measures; how many audits it touched."""
    audits = "SELECT audit_id FROM audit WHERE referral_id = $1"
    await conn.execute(
        f"""
        UPDATE audit_answer SET evidence_key = '{DISPOSED_KEY}', evidence = ''::bytea
        WHERE audit_id IN ({audits})
        """,
        referral_id,
    )
    await conn.execute(
        f"""
        UPDATE audit_moderation SET resolution_key = '{DISPOSED_KEY}', resolution = ''::bytea
        WHERE resolution IS NOT NULL AND audit_id IN ({audits})
        """,
        referral_id,
    )
    touched: str = await conn.execute(
        f"""
        UPDATE audit SET rationale_key = '{DISPOSED_KEY}', rationale = ''::bytea
        WHERE referral_id = $1 AND rationale IS NOT NULL
        """,
        referral_id,
    )
    return int(touched.split()[-1])
