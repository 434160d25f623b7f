"""The oversight group's targets: red/amber/green against the target and the trend, and every
target's definition is a heading of docs/performance-framework.md."""

from __future__ import annotations

from pathlib import Path

from domain.targets import TARGETS, Rag, rag, slug

ONE_DAY = next(t for t in TARGETS if t.key == "decisions_within_one_working_day")
RE_REFERRALS = next(t for t in TARGETS if t.key == "re_referrals")
DOCS = Path(__file__).parents[2] / "docs" / "performance-framework.md"


def test_green_meets_amber_is_close_or_improving_red_is_neither() -> None:
    assert ONE_DAY.target == 95.0
    assert rag(ONE_DAY, 96.0, [90.0, 96.0]) is Rag.green
    assert rag(ONE_DAY, 95.0, []) is Rag.green
    assert rag(ONE_DAY, 91.0, [95.0, 91.0]) is Rag.amber  # within 5 points
    assert rag(ONE_DAY, 70.0, [60.0, 75.0]) is Rag.amber  # short, but improving
    assert rag(ONE_DAY, 70.0, [80.0, 70.0]) is Rag.red
    assert rag(ONE_DAY, None, []) is Rag.no_data


def test_a_ceiling_is_met_from_below() -> None:
    assert rag(RE_REFERRALS, 20.0, []) is Rag.green
    assert rag(RE_REFERRALS, 24.0, []) is Rag.amber
    assert rag(RE_REFERRALS, 30.0, [35.0, 30.0]) is Rag.amber
    assert rag(RE_REFERRALS, 30.0, [25.0, 30.0]) is Rag.red


def test_every_definition_is_a_heading_of_the_framework() -> None:
    anchors = {
        slug(line.lstrip("#")) for line in DOCS.read_text().splitlines() if line.startswith("#")
    }
    for target in TARGETS:
        assert target.definition.split("#")[1] in anchors, target.heading
