"""The network around a case for a MACE meeting, laid out for a drawing: the case's child at
the centre, what the case is linked to (places, peer groups, adults of concern) on a ring
around it, and the other children linked to those on an outer ring. Deterministic (the same
network draws the same picture): nodes are placed in the order given, evenly round each ring.
No I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class NodeKind(StrEnum):
    child = "child"
    place = "place"
    peer_group = "peer_group"
    adult = "adult"


@dataclass(frozen=True)
class Placed:
    """A node's position on the drawing, and where its label goes."""

    node_id: str
    x: float
    y: float
    anchor: str  # the label's text-anchor: start, middle or end


WIDTH = 960
HEIGHT = 720
INNER = 190.0
OUTER = 310.0


def _ring(ids: list[str], radius: float, turn: float) -> list[Placed]:
    placed = []
    for i, node_id in enumerate(ids):
        angle = turn + 2 * math.pi * i / len(ids) - math.pi / 2
        x = WIDTH / 2 + radius * math.cos(angle)
        y = HEIGHT / 2 + radius * math.sin(angle)
        anchor = "middle" if abs(math.cos(angle)) < 0.3 else ("start" if x > WIDTH / 2 else "end")
        placed.append(Placed(node_id, round(x, 1), round(y, 1), anchor))
    return placed


def layout(centre: str, inner: list[str], outer: list[str]) -> dict[str, Placed]:
    """Positions for the case's child (`centre`), its linked entities (`inner`) and the other
    children (`outer`); the outer ring turned by half a step so its nodes sit between."""
    placed = {centre: Placed(centre, WIDTH / 2, HEIGHT / 2, "middle")}
    for ring, radius, turn in (
        (inner, INNER, 0.0),
        (outer, OUTER, math.pi / max(len(outer), 1)),
    ):
        if ring:
            placed.update((p.node_id, p) for p in _ring(ring, radius, turn))
    return placed
