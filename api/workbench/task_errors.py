"""The API's refusal of a task's result, as GOV.UK error messages beside the task form's fields.

The API says what is wrong (its 422 names the field and the problem); this module only says it
in the form's own words: a missing answer as what to do ("Select how urgent this contact is"),
any other problem as the API's message after the question's short name. A field without words
of its own here keeps the workbench's generic sentence (api/workbench/forms.py).
"""

from __future__ import annotations

import re

from api.workbench.calls import RefusedError
from api.workbench.forms import FieldError
from api.workbench.render import form_errors
from api.workbench.task_forms import field_paths, leaf_of

# (what to do when it is missing, the question's short name), by field; `kind:field` first.
_WORDS: dict[str, tuple[str, str]] = {
    "rag": ("Select how urgent this contact is", "RAG rating"),
    "review_new_information:rag": ("Select the RAG rating, or keep it", "RAG rating"),
    "rationale": ("Enter the reasons", "Reasons"),
    "screening:rationale": ("Enter why you chose this rating", "Reasons for the rating"),
    "immediate_risk": ("Select whether the child is at immediate risk", "Immediate risk"),
    "agencies": ("Select at least one agency to ask", "Agencies"),
    "exploitation.risk": ("Select the child's risk of exploitation", "Exploitation risk"),
    "exploitation.indicators": ("Select the signs of exploitation", "Signs of exploitation"),
    "exploitation.other_indicators": ("Enter the other signs", "Other signs"),
    "exploitation.rationale": ("Enter why you chose this risk level", "Exploitation reasons"),
    "known_to_agency": ("Select whether they are known to your agency", "Known to your agency"),
    "information": ("Enter what your records say", "What your records say"),
    "risk_indicators": ("Enter the risk indicators", "Risk indicators"),
    "responder_name": ("Enter your name", "Your name"),
    "outcome": ("Select the decision", "Decision"),
    "strategy_discussion:outcome": ("Select what the discussion decided", "Decision"),
    "response": ("Select the response this child needs", "Response"),
    "lived_experience": ("Describe the child's lived experience", "Lived experience"),
    "household_considered": ("Enter who in the household you considered", "Household"),
    "household_not_considered_reason": ("Enter why", "Household not considered"),
    "exploitation_closure_rationale": ("Enter why no more is needed", "Why no more is needed"),
    "factors": ("Enter the factors", "Factors"),
    "held_at": ("Enter when it was held", "When it was held"),
    "attendees": ("Select who took part", "Who took part"),
    "visited_at": ("Enter when you visited", "When you visited"),
    "child_seen": ("Select whether the child was seen", "Child seen"),
    "seen_alone": ("Select whether the child was seen alone", "Seen alone"),
    "not_seen_reason": ("Select why the child was not seen", "Why the child was not seen"),
    "observations": ("Enter what was seen", "What was seen"),
    "child_words": ("Enter what the child said", "What the child said"),
    # The referrer loop, the handover, the assessment and the conference.
    "method": ("Select how you reached the referrer", "How you reached the referrer"),
    "acknowledged_at": ("Enter when you let the referrer know", "When you let them know"),
    "told_at": ("Enter when you told the referrer", "When you told them"),
    "accepted_at": ("Enter when the receiving team accepted the case", "When it was accepted"),
    "receiving_team": ("Enter the team that accepted the case", "Receiving team"),
    "completed_at": ("Enter when the assessment was completed", "When it was completed"),
    "assessment_completed:outcome": ("Select what the assessment concluded", "Conclusion"),
    "summary": ("Enter a summary of the assessment", "Summary of the assessment"),
    "section_47_outcome": ("Select what the enquiry found", "What the enquiry found"),
    "conference_outcome": ("Select what the conference decided", "What the conference decided"),
    "child_protection_conference:held_at": (
        "Enter when the conference was held",
        "When the conference was held",
    ),
    # MACE, its disruption actions (one group per action: `actions.*.` any group) and the NRM.
    "mace:held_at": ("Enter when the MACE discussion was held", "When it was held"),
    "mace:risk": ("Select the child's risk of exploitation now", "Exploitation risk"),
    "plan": ("Enter the plan the agencies agreed", "The plan"),
    "actions.*.action": ("Enter what will be done", "What will be done"),
    "actions.*.owner": ("Enter who owns the action", "Who owns it"),
    "actions.*.due_on": ("Enter the date the action is to be done by", "Done by"),
    "review_on": ("Enter when the MACE will review the plan", "Review date"),
    "done": ("Select whether the action was done", "Action done"),
    "done_on": ("Enter when the action was done", "When it was done"),
    "mace_action:note": ("Enter what was done, or why it could not be done", "Notes"),
    "route": ("Select what was made", "What was made"),
    "made_at": ("Enter when it was made", "When it was made"),
    "reference": ("Enter the reference the Home Office gave", "Reference"),
    "made_by": ("Enter the name of who made it", "Who made it"),
}

_MISSING = re.compile(
    r"^(Field required|List should have at least 1 item.*|String should have at least 1 char.*)$"
)

# The field a rule across fields is shown beside, when its message names no field (the start of
# the API's message -> the field to change).
_RULES: dict[str, str] = {
    "a child at immediate risk is rated red": "rag",
    "each agency can be asked only once": "agencies",
    "each indicator can be named only once": "exploitation.indicators",
    "a strategy discussion needs": "attendees",
    "a child who was not seen cannot have been seen alone": "seen_alone",
    "step_down is a referral's response": "outcome",
}
# Pydantic's sizes in words: too few or too many in a list, too long a text.
_SIZES = (
    (re.compile(r"^List should have at least ([2-9]|\d\d+) items"), "give at least {}"),
    (re.compile(r"^List should have at most (\d+) items?"), "give at most {}"),
    (re.compile(r"^String should have at most (\d+) characters?"), "use {} characters or fewer"),
)


def task_errors(err: RefusedError, kind: str) -> list[FieldError]:
    """What to show on the task's form for the API's refusal `err`."""
    if err.status != 422 or not any("field" in d for d in err.details):
        return form_errors(err)  # not a field-by-field 422: the message as it is
    paths = field_paths(kind)
    shown: list[FieldError] = []
    for detail in err.details:
        problem = re.sub(r"^(Value|Assertion) error, ", "", str(detail.get("problem", "")))
        name = _field(kind, str(detail.get("field", "")), problem, paths)
        shown.append(FieldError(name, _message(kind, name, problem)))
    return shown


def _field(kind: str, path: str, problem: str, paths: set[str]) -> str:
    """The form field a problem is about: the one its path names (a whole part's first field),
    else the one its message names (a rule across fields names the one to change), else none."""
    parts = [p for p in path.split(".") if p != "body"]
    for strip in ("result", kind):
        if parts and parts[0] == strip:
            parts = parts[1:]
    name = ".".join(parts)
    if name in paths:
        return leaf_of(kind, name)
    named = [
        f
        for f in sorted(paths, key=len, reverse=True)
        if re.search(rf"(?<![\w.]){re.escape(f)}(?![\w])", problem)
    ]
    if named:
        return named[0]
    ruled = next((f for start, f in _RULES.items() if problem.startswith(start)), "")
    return ruled if ruled in paths else ""


def _message(kind: str, name: str, problem: str) -> str:
    # A rule asking for a field ("give done_on for an action that was done") is a missing answer.
    missing = bool(_MISSING.match(problem)) or bool(name and problem.startswith(f"give {name} "))
    problem = _sized(problem)
    words = (
        _WORDS.get(f"{kind}:{name}")
        or _WORDS.get(name)
        or _WORDS.get(re.sub(r"\.\d+\.", ".*.", name))
    )
    if words is not None:
        return words[0] if missing else f"{words[1]}: {problem}"
    if not name:
        return problem[:1].upper() + problem[1:]
    label = name.rsplit(".", 1)[-1].replace("_", " ")
    label = label[:1].upper() + label[1:]
    return f"{label} is required" if missing else f"{label}: {problem}"


def _sized(problem: str) -> str:
    """Pydantic's message on a size in words ("give at least 3"), any other as it is."""
    for pattern, text in _SIZES:
        found = pattern.match(problem)
        if found:
            return text.format(found.group(1))
    return problem
