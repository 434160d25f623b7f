"""The small shapes every measure is built from: a percentage, a timeliness rate and a
distribution of durations. Kept apart from domain/measures.py so that the modules of the
measures' shapes (domain/measures.py, domain/measures_exploitation.py) can share them."""

from __future__ import annotations

from pydantic import BaseModel, computed_field


def percent(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`, to one decimal place; None when nothing was counted."""
    return round(100.0 * part / whole, 1) if whole else None


class Rate(BaseModel):
    """A timeliness rate: steps done in time, steps late (done late, or not done and past their
    due time) and steps still inside their timescale (not counted yet)."""

    on_time: int = 0
    late: int = 0
    pending: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> float | None:
        """On time as a share of on time and late."""
        return percent(self.on_time, self.on_time + self.late)


class DurationStats(BaseModel):
    counted: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
