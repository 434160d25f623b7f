"""The audit measures (`audits`): grades of audits submitted in the period, by London month, by
question and by the case's team, moderation agreement, and learning actions open and overdue now
(docs/performance-framework.md, "Audit grades"). Only reads; the audit routes own the tables.
A disagreement counts at the grade the moderator resolved it to; answers count as the auditor
graded them. Parameters as every measure: `$1`, `$2` the period's instants, `$3` the team."""

from __future__ import annotations

from domain.calendar import LONDON
from domain.quality import AuditMonth, AuditResults, GradeCounts, Question
from store.performance.scope import Scope
from store.pool import Conn


def _submitted(answers: str = "") -> str:
    """Audits submitted in the period, of the team's cases, with their moderation (and answers)."""
    return f"""
    FROM audit a JOIN referral r ON r.referral_id = a.referral_id {answers}
    LEFT JOIN audit_moderation mo ON mo.audit_id = a.audit_id
    WHERE a.submitted_at >= $1 AND a.submitted_at < $2 AND ($3::text IS NULL OR r.team = $3)
    """


_MONTH = "to_char(a.submitted_at AT TIME ZONE 'Europe/London', 'YYYY-MM')"

OVERALL = f"""
    SELECT {_MONTH} AS month, coalesce(r.team, '') AS team,
           coalesce(mo.resolved_grade, a.overall_grade) AS grade, count(*) AS n,
           count(mo.audit_id) AS moderated, count(*) FILTER (WHERE NOT mo.agrees) AS disagreed
    {_submitted()}
    GROUP BY 1, 2, 3
"""

ANSWERS = f"""
    SELECT {_MONTH} AS month, ans.question, ans.grade, count(*) AS n
    {_submitted("JOIN audit_answer ans ON ans.audit_id = a.audit_id")}
    GROUP BY 1, 2, 3
"""

ACTIONS = """
    SELECT count(*) AS open, count(*) FILTER (WHERE la.due_on < $1) AS overdue
    FROM learning_action la JOIN audit a USING (audit_id) JOIN referral r USING (referral_id)
    WHERE la.status = 'open' AND ($2::text IS NULL OR r.team = $2)
"""


def _add(counts: GradeCounts, grade: str, n: int) -> None:
    setattr(counts, grade, getattr(counts, grade) + n)


async def audits(conn: Conn, scope: Scope) -> AuditResults:
    overall: dict[str, GradeCounts] = {}
    by_team: dict[str, GradeCounts] = {}
    moderated = disagreed = 0
    for row in await conn.fetch(OVERALL, *scope.args):
        _add(overall.setdefault(row["month"], GradeCounts()), row["grade"], row["n"])
        if row["team"]:
            _add(by_team.setdefault(row["team"], GradeCounts()), row["grade"], row["n"])
        moderated += row["moderated"]
        disagreed += row["disagreed"]
    questions: dict[str, dict[Question, GradeCounts]] = {}
    for row in await conn.fetch(ANSWERS, *scope.args):
        month = questions.setdefault(row["month"], {q: GradeCounts() for q in Question})
        _add(month[Question(row["question"])], row["grade"], row["n"])
    today = scope.now.astimezone(LONDON).date()
    actions = await conn.fetchrow(ACTIONS, today, scope.team)
    months = [
        AuditMonth(
            month=month,
            overall=counts,
            good_or_better_percent=counts.good_or_better_percent,
            by_question=questions.get(month, {q: GradeCounts() for q in Question}),
        )
        for month, counts in sorted(overall.items())
    ]
    below_good: dict[Question, int] = {}
    for by_question in questions.values():
        for question, counts in by_question.items():
            below = counts.requires_improvement + counts.inadequate
            if below:
                below_good[question] = below_good.get(question, 0) + below
    themes = sorted(below_good, key=lambda q: (-below_good[q], list(Question).index(q)))
    return AuditResults(
        months=months,
        themes=themes,
        by_team=by_team,
        moderated=moderated,
        moderator_disagreed=disagreed,
        actions_open=actions["open"] if actions else 0,
        actions_overdue=actions["overdue"] if actions else 0,
    )
