"""The executive oversight group's targets: one per measure, as policy data (a version, like the
timescales), and the red/amber/green status of a figure against its target and its trend.

Each target names where its figure is in the performance report (the measure, and the path to
the percentage within the period's and each week's figures) and the heading of its definition
in docs/performance-framework.md, which the board pack links to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TARGETS_VERSION = "oversight-2026"
DEFINITIONS = "docs/performance-framework.md"


class Rag(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"
    no_data = "no_data"


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    measure: str
    """The report's section (`decisions`, `visits`, ...)."""
    path: tuple[str, ...]
    """The figure inside the section's `period` and each of its `weeks`."""
    target: float
    higher_is_better: bool
    amber_within: float
    """Points short of the target that are amber rather than red."""
    heading: str
    """The heading of the figure's definition in docs/performance-framework.md."""

    @property
    def definition(self) -> str:
        return f"{DEFINITIONS}#{slug(self.heading)}"

    def meets(self, value: float) -> bool:
        return value >= self.target if self.higher_is_better else value <= self.target


_DECISIONS = (
    "Decisions within the RAG timescale and within one working day of referral (`decisions`)"
)
_REFERRERS = "Referrers acknowledged and told the outcome within timescale (`referrers`)"

TARGETS: tuple[Target, ...] = (
    Target(
        "decisions_within_one_working_day", "Referrals decided within one working day",
        "decisions", ("within_one_working_day", "percent"), 95.0, True, 5.0, _DECISIONS,
    ),
    Target(
        "decisions_within_rag_timescale", "Contacts decided within their RAG timescale",
        "decisions", ("within_rag_timescale", "percent"), 95.0, True, 5.0, _DECISIONS,
    ),
    Target(
        "children_seen", "Children seen within timescale", "visits", ("child_seen", "percent"),
        90.0, True, 5.0, "Children seen within timescale (`visits`)",
    ),
    Target(
        "referrers_acknowledged", "Referrers acknowledged within timescale", "referrers",
        ("acknowledged", "percent"), 90.0, True, 5.0, _REFERRERS,
    ),
    Target(
        "referrer_told", "Referrers told the outcome within timescale", "referrers",
        ("told", "percent"), 90.0, True, 5.0, _REFERRERS,
    ),
    Target(
        "re_referrals", "Re-referrals within 12 months", "re_referrals", ("percent",), 22.6,
        False, 2.0, "Re-referrals within 12 months (`re_referrals`)",
    ),
)  # fmt: skip
"""Version `TARGETS_VERSION`; England's re-referral rate (22.6 %, 2025) as the ceiling."""


def slug(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's) gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def figure(section: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = section
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, int | float) else None


def trend(weekly: list[float | None]) -> float | None:
    """The change from the first week with a figure to the last (None with fewer than two)."""
    known = [w for w in weekly if w is not None]
    return round(known[-1] - known[0], 1) if len(known) >= 2 else None


def rag(target: Target, value: float | None, weekly: list[float | None]) -> Rag:
    """Green when the figure meets its target; amber when it is short by at most
    `amber_within`, or short but its trend moves towards the target; red otherwise."""
    if value is None:
        return Rag.no_data
    if target.meets(value):
        return Rag.green
    change = trend(weekly)
    improving = change is not None and (change > 0) == target.higher_is_better and change != 0
    if abs(value - target.target) <= target.amber_within or improving:
        return Rag.amber
    return Rag.red
