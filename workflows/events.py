"""What the referral workflow's run loop acts on, one at a time and in order.

Update handlers and watchers queue these; the loop handles each (closing a task, opening what
comes next) and sets `done`, with the tasks it opened, so the handler can answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.tasks import AddInformationInput


@dataclass(kw_only=True)
class Event:
    done: bool = False
    opened: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class TaskCompleted(Event):
    """A member of staff completed a task (the Update has set its result)."""

    task_id: str


@dataclass(kw_only=True)
class InformationAdded(Event):
    """New information about the child arrived."""

    info: AddInformationInput
    # The review task the item went to (opened for it, or already open).
    review_task_id: str | None = None


@dataclass(kw_only=True)
class ChecksWindowClosed(Event):
    """Every agency check is in, or the checks are due: time for the decision."""


CaseEvent = TaskCompleted | InformationAdded | ChecksWindowClosed
