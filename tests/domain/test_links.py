"""Links' pure parts: when a person's keyed address names a place, and the network layout."""

from __future__ import annotations

import hashlib

from domain.links import address_keys, names_place
from domain.network import HEIGHT, WIDTH, layout


def key(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big", signed=True)


def test_an_address_names_a_place_it_holds() -> None:
    place = address_keys("Flat 2, 22 Canal Street", key)
    assert names_place(place, address_keys("Flat 2, 22 Canal Street, Townham TN1 4AB", key))
    assert names_place(place, address_keys("flat 2 22 canal st", key))  # four in five tokens
    assert not names_place(place, address_keys("Flat 3, 24 Canal Street", key))
    assert not names_place(address_keys("Park", key), address_keys("Park", key))  # one word
    assert address_keys(None, key) == frozenset()


def test_the_layout_is_deterministic_with_the_case_at_the_centre() -> None:
    placed = layout("c", ["p1", "p2"], ["k1", "k2", "k3"])
    assert (placed["c"].x, placed["c"].y) == (WIDTH / 2, HEIGHT / 2)
    assert placed == layout("c", ["p1", "p2"], ["k1", "k2", "k3"])
    assert placed["p1"].y < HEIGHT / 2 and placed["p1"].anchor == "middle"  # first at the top
    assert len({(p.x, p.y) for p in placed.values()}) == 6
    assert all(0 <= p.x <= WIDTH and 0 <= p.y <= HEIGHT for p in placed.values())
