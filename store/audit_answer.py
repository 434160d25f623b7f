"""Queries on `audit_answer`: the grade and sealed evidence for each question of an audit
(bound to `audit_binding(audit_id, question)`). Callers own the connection and transaction."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from core.sealing import Sealed
from domain.quality import Grade, Question
from store.pool import Conn


@dataclass(frozen=True)
class StoredAnswer:
    question: Question
    grade: Grade
    evidence: Sealed


async def put_answers(conn: Conn, audit_id: UUID, answers: list[StoredAnswer]) -> None:
    """Replace the audit's answers with `answers` (the form is saved whole)."""
    await conn.execute("DELETE FROM audit_answer WHERE audit_id = $1", audit_id)
    await conn.executemany(
        """
        INSERT INTO audit_answer (audit_id, question, grade, evidence_key, evidence)
        VALUES ($1, $2, $3, $4, $5)
        """,
        [
            (audit_id, a.question.value, a.grade.value, a.evidence.key_id, a.evidence.body)
            for a in answers
        ],
    )


async def answers_of(conn: Conn, audit_id: UUID) -> list[StoredAnswer]:
    rows = await conn.fetch(
        "SELECT question, grade, evidence_key, evidence FROM audit_answer WHERE audit_id = $1",
        audit_id,
    )
    order = list(Question)
    answers = [
        StoredAnswer(
            Question(r["question"]), Grade(r["grade"]), Sealed(r["evidence_key"], r["evidence"])
        )
        for r in rows
    ]
    return sorted(answers, key=lambda a: order.index(a.question))
