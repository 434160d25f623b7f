"""The audit measures on a hand-built set: grades by London month, question and team; a
disagreement counted at the moderator's resolved grade; themes; learning actions open and
overdue now."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg

from core.sealing import Sealed
from domain.measures import Period
from domain.quality import Grade, Question, Reason, SampleRules
from store import audit, audit_answer, audit_moderation, audit_sample, learning_action
from store.performance.audits import audits
from store.performance.scope import Scope, reading
from store.pool import Conn
from tests.store.performance.rows import Rows, mar

SEALED = Sealed("test-1", b"sealed")
NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)


async def submitted(
    conn: Conn, sample: uuid.UUID, *, team: str | None, grade: Grade,
    at: datetime, weak: Question | None = None,
) -> uuid.UUID:  # fmt: skip
    referral = await Rows(conn).referral(mar(2, 10), closed_at=mar(3, 10), team=team)
    audit_id = uuid.uuid4()
    await audit.insert_audit(
        conn, audit_id=audit_id, sample_id=sample, referral_id=referral,
        reasons=[Reason.random], auditor="ann", to_moderate=True,
    )  # fmt: skip
    answers = [
        audit_answer.StoredAnswer(q, Grade.inadequate if q is weak else grade, SEALED)
        for q in Question
    ]
    await audit_answer.put_answers(conn, audit_id, answers)
    await audit.submit(conn, audit_id, grade=grade, rationale=SEALED, now=at)
    return audit_id


async def test_grades_by_month_question_and_team_with_moderation_and_actions(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        sample = uuid.uuid4()
        await audit_sample.insert_sample(
            conn, sample_id=sample, month=date(2026, 3, 1), seed=1, rules=SampleRules(),
            drawn_by="mo",
        )  # fmt: skip
        april = datetime(2026, 4, 7, 10, tzinfo=UTC)
        first = await submitted(conn, sample, team="north", grade=Grade.good, at=april)
        await submitted(
            conn, sample, team="north", grade=Grade.outstanding, at=april,
            weak=Question.lived_experience,
        )  # fmt: skip
        await submitted(
            conn, sample, team=None, grade=Grade.requires_improvement,
            at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 April in London
            weak=Question.lived_experience,
        )  # fmt: skip
        await submitted(conn, sample, team="south", grade=Grade.good, at=mar(20, 10))
        await audit_moderation.insert_moderation(
            conn, audit_id=first, moderator="ben", grade=Grade.inadequate, agrees=False,
            resolved_grade=Grade.requires_improvement, resolution=SEALED,
        )  # fmt: skip
        for due in (date(2026, 5, 1), date(2026, 6, 1)):
            await learning_action.insert_action(
                conn, action_id=uuid.uuid4(), audit_id=first, action="a", owner="pat",
                due_on=due, created_by="ann",
            )  # fmt: skip

    scope = Scope(Period(date(2026, 3, 1), date(2026, 4, 30)), None, NOW)
    async with pool.acquire() as conn, reading(conn):
        result = await audits(conn, scope)
        north = await audits(conn, Scope(scope.period, "north", NOW))

    march, april_month = result.months
    assert (march.month, march.overall.good) == ("2026-03", 1)
    assert april_month.month == "2026-04"
    # the moderated disagreement counts at its resolved grade, not the auditor's "good"
    assert april_month.overall.model_dump() == {
        "outstanding": 1, "good": 0, "requires_improvement": 2, "inadequate": 0,
    }  # fmt: skip
    assert april_month.good_or_better_percent == 33.3
    assert april_month.by_question[Question.lived_experience].inadequate == 2
    # lived experience below good twice; every other question once (the RI audit), in form order
    assert result.themes == [Question.lived_experience] + [
        q for q in Question if q is not Question.lived_experience
    ]
    assert result.by_team["north"].outstanding == 1
    assert (result.moderated, result.moderator_disagreed) == (1, 1)
    assert (result.actions_open, result.actions_overdue) == (2, 1)
    assert [m.overall.graded for m in north.months] == [2]
