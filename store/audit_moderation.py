"""Queries on `audit_moderation`: a second auditor's grade of an audit, whether they agree, and
for a disagreement the resolved grade and the resolution (sealed, bound to
`audit_binding(audit_id, "resolution")`), kept beside the first auditor's grade. Callers own the
connection and any transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from core.sealing import Sealed
from domain.quality import Grade
from store.pool import Conn


@dataclass(frozen=True)
class StoredModeration:
    audit_id: UUID
    moderator: str
    grade: Grade
    agrees: bool
    resolved_grade: Grade | None
    resolution: Sealed | None
    moderated_at: datetime


async def insert_moderation(
    conn: Conn,
    *,
    audit_id: UUID,
    moderator: str,
    grade: Grade,
    agrees: bool,
    resolved_grade: Grade | None,
    resolution: Sealed | None,
) -> bool:
    """Record the moderation; False if the audit was moderated already (it is kept as it was)."""
    status = await conn.execute(
        """
        INSERT INTO audit_moderation
            (audit_id, moderator, grade, agrees, resolved_grade, resolution_key, resolution)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (audit_id) DO NOTHING
        """,
        audit_id, moderator, grade.value, agrees,
        resolved_grade.value if resolved_grade else None,
        resolution.key_id if resolution else None, resolution.body if resolution else None,
    )  # fmt: skip
    return bool(status.endswith(" 1"))


async def get_moderation(conn: Conn, audit_id: UUID) -> StoredModeration | None:
    row = await conn.fetchrow(
        """
        SELECT audit_id, moderator, grade, agrees, resolved_grade, resolution_key, resolution,
               moderated_at
        FROM audit_moderation WHERE audit_id = $1
        """,
        audit_id,
    )
    if row is None:
        return None
    r = dict(row)
    key, body = r.pop("resolution_key"), r.pop("resolution")
    r["grade"] = Grade(r["grade"])
    r["resolved_grade"] = Grade(r["resolved_grade"]) if r["resolved_grade"] else None
    return StoredModeration(**r, resolution=Sealed(key, body) if key is not None else None)
