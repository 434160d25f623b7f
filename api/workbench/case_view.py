"""What the case page (api/workbench/case_page.py) makes of the API's case view for its tables:
each deadline with its state in words, the tasks in the order they were opened, and a line of
words for each entry of the chronology. It words what the API says; it decides nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.workbench.case_text import (
    agency_text,
    deadline_text,
    event_text,
    instant,
    kind_text,
    stage_text,
    time_left,
)
from api.workbench.managers_text import label, when
from domain.case import MET_BY

_MET_BY = {deadline.value: milestone.value for deadline, milestone in MET_BY.items()}
_SHORT = 300  # characters of what staff wrote shown on a chronology line


@dataclass(frozen=True)
class DeadlineRow:
    name: str
    due: str
    state: str
    late: bool  # shown in bold as well as said in words


def deadline_rows(case: dict[str, Any], now: datetime) -> list[DeadlineRow]:
    """The case's deadlines, earliest first: met (and when), or the time left, or overdue."""
    milestones = case.get("milestones") or {}
    closed = case.get("stage") == "closed" or not case.get("in_process", True)
    rows: list[tuple[datetime, DeadlineRow]] = []
    for deadline, due in (case.get("deadlines") or {}).items():
        due_at = instant(due)
        met = milestones.get(_MET_BY.get(deadline, "")) or (
            _checks_back(case) if deadline == "checks" else None
        )
        if met:
            late = instant(met) > due_at
            state = f"Met {'late ' if late else ''}on {when(met)}"
        elif closed:
            late, state = False, "Not recorded as met; the case is closed"
        else:
            late, state = due_at <= now, time_left(due_at, now)
        rows.append((due_at, DeadlineRow(deadline_text(deadline), when(due_at), state, late)))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def _checks_back(case: dict[str, Any]) -> str | None:
    """When the last agency check came back, once none is open (the checks deadline has no
    milestone of its own)."""
    checks = [
        t
        for t in case.get("tasks") or []
        if t.get("kind") == "agency_check" and t.get("status") != "superseded"
    ]
    if not checks or any(t.get("status") == "open" for t in checks):
        return None
    done = [instant(t["completed_at"]) for t in checks if t.get("completed_at")]
    return max(done).isoformat() if done else None


@dataclass(frozen=True)
class TaskLine:
    task_id: str
    kind: str
    status: str
    is_open: bool
    holder: str
    due: str
    done: str
    escalation_level: int


def task_rows(case: dict[str, Any]) -> list[TaskLine]:
    """The case's tasks, open ones first, each as the case view gives it."""
    lines = []
    for task in case.get("tasks") or []:
        is_open = task.get("status") == "open"
        done = ""
        if task.get("completed_at"):
            by = f" by {task['completed_by']}" if task.get("completed_by") else ""
            done = f"{when(task['completed_at'])}{by}"
        lines.append(
            TaskLine(
                task_id=str(task["task_id"]),
                kind=kind_text(task.get("kind"), task.get("agency")),
                status=label(task.get("status")),
                is_open=is_open,
                holder=task.get("assignee") or ("Nobody" if is_open else ""),
                due=when(task.get("due_at")),
                done=done,
                escalation_level=int(task.get("escalation_level") or 0),
            )
        )
    return sorted(lines, key=lambda line: not line.is_open)


@dataclass(frozen=True)
class ChronologyLine:
    at: str
    what: str
    detail: str
    actor: str


def chronology_lines(items: list[dict[str, Any]]) -> list[ChronologyLine]:
    """The chronology, oldest first, each line in words."""
    return [
        ChronologyLine(
            at=when(item["at"]),
            what=event_text(str(item.get("what", ""))),
            detail=_detail(str(item.get("what", "")), item.get("detail") or {}),
            actor=item.get("actor") or "",
        )
        for item in items
    ]


def _cut(text: Any) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= _SHORT else f"{words[:_SHORT].rstrip()}…"


def _detail(what: str, detail: dict[str, Any]) -> str:
    if what == "recorded_task_result":
        return _result(detail.get("result") or {})
    if what == "recorded_information":
        return f"From {detail.get('source', 'not given')}: {_cut(detail.get('text', ''))}"
    if what == "recorded_intake":
        return f"Concern: {_cut(detail.get('concern', ''))}"
    if what in ("recorded_correction", "record_corrected") and detail.get("reason"):
        return f"Why: {_cut(detail['reason'])}"
    parts = []
    if detail.get("kind") and what.startswith(("task_", "escalat", "reminder", "recorded_")):
        parts.append(kind_text(str(detail["kind"]), detail.get("agency")))
    if detail.get("level"):
        parts.append(f"level {detail['level']}")
    if detail.get("role"):
        parts.append(f"{label(str(detail['role'])).lower()} told")
    if what == "task_opened" and detail.get("due_at"):
        parts.append(f"due {when(detail['due_at'])}")
    if detail.get("stage"):
        parts.append(f"stage {stage_text(str(detail['stage'])).lower()}")
    return ", ".join(parts)


# What a recorded result's line says: its codes, then what staff wrote, in this order.
_CODES = ("rag", "outcome", "response", "risk", "method", "section_47_outcome")
_WORDS = ("rationale", "information", "observations", "summary", "reason")


def _result(result: dict[str, Any]) -> str:
    parts = [kind_text(str(result.get("kind", "")))]
    for code in _CODES:
        if isinstance(result.get(code), str):
            value = str(result[code])
            if code == "rag":
                parts.append(f"RAG {value.upper()}")
            else:
                parts.append(f"{label(code)}: {label(value)}")
    if isinstance(result.get("known_to_agency"), bool):
        parts.append("known to the agency" if result["known_to_agency"] else "not known")
    if isinstance(result.get("child_seen"), bool):
        parts.append("child seen" if result["child_seen"] else "child not seen")
    if result.get("agencies"):
        parts.append("checks asked of " + ", ".join(agency_text(a) for a in result["agencies"]))
    words = next((result[w] for w in _WORDS if isinstance(result.get(w), str)), None)
    line = "; ".join(parts)
    return f"{line}. {_cut(words)}" if words else line
