"""How the managers' and audit pages word what the API answers: codes as words, instants as
London times (the API's JSON carries ISO 8601 strings)."""

from __future__ import annotations

from datetime import date, datetime

from domain.calendar import LONDON


def label(code: str | None) -> str:
    """A code as words: `strategy_discussion` -> `Strategy discussion`."""
    if not code:
        return ""
    words = str(code).replace("_", " ")
    return words[:1].upper() + words[1:]


def when(value: str | datetime | None) -> str:
    """An instant as London wall-clock time: `Mon 2 Mar 2026, 10:00`."""
    if not value:
        return ""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = instant.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def day(value: str | date | None) -> str:
    """A date: `2 Mar 2026`."""
    if not value:
        return ""
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{parsed.day} {parsed:%b %Y}"


def month_before(today: date) -> str:
    """The month before `today`'s, `yyyy-mm` (the last whole month: the board's, and the
    sample's by default)."""
    last = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return f"{last:%Y-%m}"
