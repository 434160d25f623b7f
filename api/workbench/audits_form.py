"""The audit form's fields as the workbench shows them (api/workbench/audits_pages.py): each of
the API's questions (domain/quality.py `Question`, in its order) as a numbered group of the
body's `answers` list, what a saved audit fills in, and its errors named by question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.workbench.forms import FieldError
from domain.quality import Grade, Question


@dataclass(frozen=True)
class Asked:
    """One question of the form: its place in `answers`, its code and how it is asked."""

    index: int
    code: str
    asks: str
    short: str

    def field(self, part: str) -> str:
        return f"answers.{self.index}.{part}"


_WORDING = {
    Question.child_seen: ("Was the child seen, and seen alone?", "Child seen"),
    Question.lived_experience: (
        "Is the child's voice and daily life recorded?",
        "Child's lived experience",
    ),
    Question.household_history: (
        "Were the household and the history considered (professional curiosity)?",
        "Household and history",
    ),
    Question.agencies: (
        "Were the right agencies asked, and did they answer on time?",
        "Agencies",
    ),
    Question.decision: ("Was the decision timely and proportionate?", "Decision"),
    Question.management_oversight: ("Was there management oversight?", "Management oversight"),
    Question.exploitation: ("Was exploitation considered?", "Exploitation"),
}

QUESTIONS = [
    Asked(i, q.value, *_WORDING.get(q, (q.value.replace("_", " "), q.value.replace("_", " "))))
    for i, q in enumerate(Question)
]
GRADES = [(g.value, g.value.replace("_", " ").capitalize()) for g in Grade]

FORM_FIELDS = {
    *(a.field(part) for a in QUESTIONS for part in ("question", "grade", "evidence")),
    "overall_grade",
    "rationale",
}
MODERATION_FIELDS = {"grade", "agrees", "resolved_grade", "resolution"}
ACTION_FIELDS = {"action", "owner", "due_on"}


def saved_values(audit: dict[str, Any]) -> dict[str, Any]:
    """The form as the audit was last saved (blank for a new audit)."""
    saved = {a["question"]: a for a in audit.get("answers", [])}
    values: dict[str, Any] = {
        "overall_grade": audit.get("overall_grade") or "",
        "rationale": audit.get("rationale") or "",
    }
    for asked in QUESTIONS:
        answer = saved.get(asked.code, {})
        values[asked.field("grade")] = answer.get("grade", "")
        values[asked.field("evidence")] = answer.get("evidence", "")
    return values


def answer_errors(errors: list[FieldError]) -> list[FieldError]:
    """The API's errors on `answers.N.*`, each naming its question: "Agencies: grade is
    required" rather than seven times "Grade is required"."""
    by_field = {a.field(part): a for a in QUESTIONS for part in ("grade", "evidence")}
    named = []
    for error in errors:
        asked = by_field.get(error.name)
        if asked is None:
            named.append(error)
            continue
        text = error.text[:1].lower() + error.text[1:]
        named.append(FieldError(error.name, f"{asked.short}: {text}"))
    return named
