"""Links between children (contextual safeguarding): the places, peer groups and adults of
concern that children's cases are linked to, what is sealed of each, and the one comparison made
on keyed forms (does a person's address name a known place).

No I/O: keyed forms come from callables the caller passes in (as in domain/people.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.people import KeyInt, address_tokens


class EntityKind(StrEnum):
    """What a case is linked to."""

    place = "place"
    peer_group = "peer_group"
    adult = "adult"


class PlaceKind(StrEnum):
    address = "address"
    park = "park"
    shop = "shop"
    school = "school"
    transport = "transport"  # a station, a bus stop, a takeaway's car park
    online = "online"  # a group chat, a platform
    other = "other"


class PlaceRecord(BaseModel):
    """A place as the record holds it (sealed)."""

    kind: PlaceKind
    name: str
    description: str | None = None
    address: str | None = None


class PeerGroupRecord(BaseModel):
    name: str
    description: str | None = None


class AdultRecord(BaseModel):
    """Why an adult (a person record) is of concern (sealed)."""

    why: str


class LinkReason(BaseModel):
    """Why a link was made, or ended (sealed)."""

    reason: str = Field(min_length=1)


PLACE_MATCH_SHARE = 0.8
"""How much of a place's address a person's address must hold to name it (the share of the
place's words, numbers and postcode): "3 High Street" names the place "3 High Street", and so
does "3 High Street, Town"; "30 High Street" does not."""
PLACE_MATCH_MINIMUM = 2
"""A place keyed on fewer address tokens than this is never matched (one word names nothing)."""


def address_keys(address: str | None, key_int: KeyInt) -> frozenset[int]:
    """The keyed forms of an address's tokens, exactly as a person's `address_keys`."""
    if not address:
        return frozenset()
    return frozenset(key_int(f"a:{token}") for token in address_tokens(address))


def names_place(place_keys: Iterable[int], person_keys: Iterable[int]) -> bool:
    """Whether a person's keyed address holds enough of a place's keyed address to name it."""
    place, person = frozenset(place_keys), frozenset(person_keys)
    if len(place) < PLACE_MATCH_MINIMUM:
        return False
    return len(place & person) >= PLACE_MATCH_SHARE * len(place)
