"""What the dashboard's template shows, built from one performance report: headline tiles, weekly
bar charts (drawn by the template as inline SVG), the agencies' table and the conversion table
(contacts by final outcome as a share of contacts; referrals by what they became as a share of
referrals)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.calendar import LONDON
from domain.measures import PerformanceReport, Rate
from domain.policy import DecisionOutcome


@dataclass
class Tile:
    id: str
    label: str
    value: str
    detail: str


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    label: str = ""  # the value over the bar, when there are few enough bars to read them


@dataclass
class Chart:
    id: str
    title: str
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    empty: bool
    width: int = 560
    height: int = 190


@dataclass
class View:
    report: PerformanceReport
    tiles: list[Tile]
    charts: list[Chart]
    agencies: list[dict[str, Any]] = field(default_factory=list)
    conversion: list[tuple[str, int, str]] = field(default_factory=list)
    exploitation: list[tuple[str, str, str]] = field(default_factory=list)


def _pct(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.1f}%"


def _hours(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:g} h"


def _counted(rate: Rate) -> str:
    return f"{rate.on_time} of {rate.on_time + rate.late} on time, {rate.pending} not yet due"


_LEFT, _RIGHT, _TOP, _BOTTOM = 40.0, 8.0, 10.0, 24.0


def weekly_chart(
    chart_id: str, title: str, weeks: list[date], values: list[float | None], *, percent: bool
) -> Chart:
    """A bar per week, scaled to 100 % or to the largest value; weeks with nothing to show get no
    bar."""
    chart = Chart(chart_id, title, [], [], [], empty=all(v is None for v in values))
    top = 100.0 if percent else max([v for v in values if v is not None] + [0.0]) or 1.0
    plot_w = chart.width - _LEFT - _RIGHT
    plot_h = chart.height - _TOP - _BOTTOM
    step = plot_w / max(len(weeks), 1)
    bar_w = max(step * 0.7, 1.0)
    for i, (week, value) in enumerate(zip(weeks, values, strict=True)):
        if value is None:
            continue
        height = plot_h * min(value, top) / top
        shown = f"{value:.1f}%" if percent else f"{value:g}"
        chart.bars.append(
            Bar(
                x=round(_LEFT + i * step + (step - bar_w) / 2, 1),
                y=round(_TOP + plot_h - height, 1),
                width=round(bar_w, 1),
                height=round(height, 1),
                title=f"week of {week:%d %b %Y}: {shown}",
                label=shown if len(weeks) <= 16 else "",
            )
        )
    for fraction in (0.0, 0.5, 1.0):
        value = top * fraction
        label = f"{value:.0f}%" if percent else f"{value:g}"
        chart.ticks.append((round(_TOP + plot_h * (1 - fraction), 1), label))
    every = max(1, math.ceil(len(weeks) / 8))
    for i in range(0, len(weeks), every):
        chart.labels.append((round(_LEFT + i * step + step / 2, 1), f"{weeks[i]:%d %b}"))
    return chart


def build_view(result: PerformanceReport) -> View:
    """Tiles, charts and tables for the template, from one report."""
    decisions = result.decisions.period
    seen = result.visits.period.child_seen
    overdue = result.overdue
    weeks = result.period.weeks
    referrers = result.referrers.period
    clocks = result.after_handover.period
    mace = result.time_to_mace.period
    tiles = [
        Tile(
            "decisions",
            "Referrals decided within one working day",
            _pct(decisions.within_one_working_day.percent),
            _counted(decisions.within_one_working_day) + f"; contacts decided within RAG timescale"
            f" {_pct(decisions.within_rag_timescale.percent)}",
        ),
        Tile("seen", "Children seen within timescale", _pct(seen.percent), _counted(seen)),
        Tile(
            "overdue",
            "Overdue now",
            str(overdue.total),
            f"oldest due {overdue.oldest.due_at.astimezone(LONDON):%d %b %H:%M}"
            if overdue.oldest
            else "nothing overdue",
        ),
        Tile(
            "referrals",
            "Referrals",
            str(decisions.referrals),
            f"of {decisions.contacts} contacts"
            f" ({_pct(result.conversion.period.contacts_to_referrals_percent)});"
            f" re-referrals {_pct(result.re_referrals.period.percent)}",
        ),
        Tile(
            "acknowledged",
            "Referrers acknowledged within timescale",
            _pct(referrers.acknowledged.percent),
            _counted(referrers.acknowledged),
        ),
        Tile(
            "told",
            "Referrers told the outcome within timescale",
            _pct(referrers.told.percent),
            _counted(referrers.told),
        ),
        Tile(
            "assessments",
            "Assessments within 45 working days",
            _pct(clocks.assessments.percent),
            _counted(clocks.assessments)
            + f"; initial conferences within 15 working days {_pct(clocks.conferences.percent)}",
        ),
        Tile(
            "mace",
            "MACE discussions held within deadline",
            _pct(mace.within_deadline.percent),
            _counted(mace.within_deadline) + f"; median from contact {_hours(mace.median_hours)}",
        ),
        Tile(
            "mace_actions",
            "MACE disruption actions overdue now",
            str(result.mace_actions.overdue_now),
            f"of the period's: {_counted(result.mace_actions.period.done)}",
        ),
    ]
    d_weeks = result.decisions.weeks
    charts = [
        weekly_chart(
            "decisions-day",
            "Referrals decided within one working day (%)",
            weeks,
            [w.within_one_working_day.percent for w in d_weeks],
            percent=True,
        ),
        weekly_chart(
            "decisions-rag",
            "Contacts decided within RAG timescale (%)",
            weeks,
            [w.within_rag_timescale.percent for w in d_weeks],
            percent=True,
        ),
        weekly_chart(
            "time-to-decision",
            "Median hours from referral to decision",
            weeks,
            [w.median_hours for w in result.time_to_decision.weeks],
            percent=False,
        ),
        weekly_chart(
            "seen",
            "Children seen within timescale (%)",
            weeks,
            [w.child_seen.percent for w in result.visits.weeks],
            percent=True,
        ),
        weekly_chart(
            "acknowledged",
            "Referrers acknowledged within timescale (%)",
            weeks,
            [w.acknowledged.percent for w in result.referrers.weeks],
            percent=True,
        ),
        weekly_chart(
            "told",
            "Referrers told the outcome within timescale (%)",
            weeks,
            [w.told.percent for w in result.referrers.weeks],
            percent=True,
        ),
        weekly_chart(
            "screened",
            "Contacts screened for exploitation (%)",
            weeks,
            [w.percent_screened for w in result.exploitation_screening.weeks],
            percent=True,
        ),
        weekly_chart(
            "referrals",
            "Contacts received per week",
            weeks,
            [float(w.contacts) for w in d_weeks],
            percent=False,
        ),
    ]
    medians = {a.agency: a.median_hours_to_return for a in result.agency_return_times.agencies}
    agencies = [
        {
            "agency": a.agency,
            "requested": a.requested,
            "rate": a.returned_on_time,
            "percent": _pct(a.returned_on_time.percent),
            "width": round(a.returned_on_time.percent or 0.0, 1),
            "median": medians.get(a.agency),
        }
        for a in result.agency_checks.agencies
    ]
    conv = result.conversion.period
    to_contacts, to_referrals = conv.percent_of_contacts, conv.percent_of_referrals
    conversion = [
        (f"contact: {o.value}", conv.outcomes[o], _pct(to_contacts[o.value]))
        for o in DecisionOutcome
    ]
    conversion.append(
        ("contact: made a referral", conv.referrals, _pct(conv.contacts_to_referrals_percent))
    )
    conversion += [
        (f"referral: {name}", n, _pct(to_referrals[name])) for name, n in conv.responses.items()
    ]
    return View(result, tiles, charts, agencies, conversion, exploitation_rows(result))


def exploitation_rows(result: PerformanceReport) -> list[tuple[str, str, str]]:
    """The exploitation table: (measure, number, detail)."""
    screened, mace = result.exploitation_screening.period, result.time_to_mace.period
    actions, nrm = result.mace_actions.period, result.nrm_referrals.period
    linked = result.linked_children
    risks = ", ".join(f"{risk.value} {n}" for risk, n in screened.by_risk.items())
    return [
        (
            "Contacts screened for exploitation",
            str(screened.screened),
            f"of {screened.contacts} ({_pct(screened.percent_screened)}): {risks}",
        ),
        (
            "Time from contact to MACE",
            _hours(mace.median_hours),
            f"median of {mace.counted} held (of {mace.requested} asked for);"
            f" 90th percentile {_hours(mace.p90_hours)}",
        ),
        (
            "MACE held within deadline",
            _pct(mace.within_deadline.percent),
            _counted(mace.within_deadline),
        ),
        (
            "MACE disruption actions done on time",
            _pct(actions.done.percent),
            f"{_counted(actions.done)}; {actions.not_done} not possible;"
            f" {result.mace_actions.overdue_now} overdue now (any period)",
        ),
        (
            "NRM referrals made",
            str(nrm.made),
            f"of {nrm.opened} asked for; median {_hours(nrm.median_hours)} from the task,"
            f" 90th percentile {_hours(nrm.p90_hours)}; within deadline"
            f" {_pct(nrm.within_deadline.percent)} ({_counted(nrm.within_deadline)})",
        ),
        (
            "Children linked to a place or adult of concern",
            str(linked.children),
            f"in the 90 days to now: place {linked.by_kind.get('place', 0)},"
            f" adult {linked.by_kind.get('adult', 0)}; {linked.links} links",
        ),
    ]
