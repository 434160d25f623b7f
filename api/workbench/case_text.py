"""How the inbox and the case page word what the API answers: task kinds, stages, deadlines and
agencies in words, instants as London times, and the time left before a due time (or how long
it is overdue), always in words so that no meaning rests on colour alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.workbench.managers_text import day, label, when

KINDS: dict[str, str] = {
    "screening": "Screening",
    "agency_check": "Agency check",
    "decision": "MASH decision",
    "referral_decision": "Referral decision",
    "strategy_discussion": "Strategy discussion",
    "visit": "Visit",
    "police_welfare_check": "Police welfare check",
    "review_new_information": "Review of new information",
    "acknowledgement": "Acknowledge the referrer",
    "referrer_feedback": "Tell the referrer the outcome",
    "handover": "Handover to the receiving team",
    "assessment_completed": "Assessment completed",
    "child_protection_conference": "Section 47 enquiry and conference",
    "mace": "MACE discussion",
    "mace_action": "MACE disruption action",
    "nrm_referral": "NRM referral",
}

AGENCIES: dict[str, str] = {
    "police": "police",
    "health": "health",
    "education": "education",
    "csc_records": "children's social care records",
    "probation": "probation",
    "housing": "housing",
    "adult_social_care": "adult social care",
    "early_help": "early help",
}

STAGES: dict[str, str] = {
    "screening": "Screening",
    "checks": "Agency checks",
    "decision": "MASH decision",
    "strategy_discussion": "Strategy discussion",
    "visit": "Visit",
    "handover": "Handover to the receiving team",
    "closed": "Closed",
}

DEADLINES: dict[str, str] = {
    "screening": "Screening",
    "checks": "Agency checks",
    "mash_decision": "MASH decision",
    "referral_decision": "Referral decision",
    "acknowledgement": "Acknowledge the referrer",
    "referrer_feedback": "Tell the referrer the outcome",
    "strategy_discussion": "Strategy discussion",
    "visit": "Visit (child seen)",
    "handover": "Handover",
    "assessment": "Assessment completed",
    "icpc": "Initial child protection conference",
    "mace": "MACE discussion",
    "nrm": "NRM referral",
}

TEAMS: dict[str, str] = {
    "front_door_practitioners": "Front door practitioners",
    "front_door_managers": "Front door managers",
    "exploitation": "Exploitation team",
    "receiving_team": "Receiving team",
}

# What happened on a case, as the chronology's audit events and record entries name it.
EVENTS: dict[str, str] = {
    "referral_received": "Contact received",
    "task_opened": "Task opened",
    "task_completed": "Task completed",
    "task_cancelled": "Task cancelled",
    "task_superseded": "Task superseded",
    "reminder_sent": "Reminder sent",
    "escalated": "Escalated",
    "record_corrected": "Record corrected",
    "recorded_intake": "Contact recorded",
    "recorded_task_result": "Recorded",
    "recorded_information": "New information recorded",
    "recorded_escalation": "Escalation recorded",
    "recorded_correction": "Correction recorded",
}


def kind_text(kind: str | None, agency: str | None = None) -> str:
    """A task's kind in words: `Screening`, `Agency check (police)`."""
    words = KINDS.get(str(kind), label(kind))
    return f"{words} ({AGENCIES.get(agency, label(agency).lower())})" if agency else words


def agency_text(agency: str | None) -> str:
    words = AGENCIES.get(str(agency), label(agency).lower())
    return words[:1].upper() + words[1:]


def stage_text(stage: str | None) -> str:
    return STAGES.get(str(stage), label(stage))


def deadline_text(deadline: str) -> str:
    return DEADLINES.get(deadline, label(deadline))


def team_text(team: str | None) -> str:
    if team and team.startswith("agency:"):
        return agency_text(team.split(":", 1)[1])
    return TEAMS.get(str(team), label(team))


def event_text(what: str) -> str:
    if what.startswith("notified_"):
        return f"Notice sent: {label(what.removeprefix('notified_')).lower()}"
    return EVENTS.get(what, label(what))


def span(seconds: float) -> str:
    """A length of time in words, to the two largest units: `3 hours`, `1 day 4 hours`."""
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (mins, "minute")]
    shown = [(n, unit) for n, unit in parts if n]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in shown)


def instant(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def time_left(due: str | datetime, now: datetime) -> str:
    """`3 hours left`, or `Overdue by 3 hours`."""
    seconds = (instant(due) - now).total_seconds()
    return f"{span(seconds)} left" if seconds > 0 else f"Overdue by {span(seconds)}"


def is_past(due: str | datetime, now: datetime) -> bool:
    return instant(due) <= now


def short(referral_id: Any) -> str:
    """The first part of an id, as the pages name a case or task: `1234abcd`."""
    return str(referral_id)[:8]


TEXT = {
    "when": when,
    "day": day,
    "label": label,
    "kind_text": kind_text,
    "agency_text": agency_text,
    "stage_text": stage_text,
    "deadline_text": deadline_text,
    "team_text": team_text,
    "event_text": event_text,
    "short": short,
}
"""The helpers every inbox and case template is given."""
