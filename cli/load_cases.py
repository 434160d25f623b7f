"""The children and contacts of a load run: each child drawn with a name, a date of birth and an
address of their own (and a parent), so no two intakes are taken for one person with an open
case, and the intake that reports them."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

# fmt: off
_ONSETS = [
    "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z",
    "br", "ch", "cl", "dr", "fl", "gr", "kr", "pl", "pr", "sh", "sk", "st", "th", "tr",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "ie", "oa", "oo", "ou"]
_CODAS = ["", "", "", "n", "l", "r", "s", "m", "th", "ck", "nd"]
_STREETS = ["Street", "Road", "Lane", "Close", "Avenue", "Grove", "Way", "Crescent"]
# fmt: on


def _word(rng: random.Random, syllables: int) -> str:
    word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables))
    return (word + rng.choice(_CODAS)).capitalize()


def child(n: int, run: str) -> dict[str, Any]:
    """Child `n` of the run `run`: a name, a date of birth and an address of their own, drawn
    from both, so that no two children of a run (or of two runs) are taken for one person with
    an open case (which would stop the intake: 409 open_case)."""
    rng = random.Random(f"{run}/child/{n}")  # noqa: S311 - made-up people, not a secret
    surname = _word(rng, rng.randint(2, 3))
    return {
        "name": f"{_word(rng, 2)} {surname}",
        "date_of_birth": (date(2008, 1, 1) + timedelta(days=rng.randrange(16 * 365))).isoformat(),
        "address": f"{rng.randint(1, 399)} {_word(rng, 2)} {rng.choice(_STREETS)}",
        "parent": f"{_word(rng, 2)} {surname}",
    }


def intake(n: int, now: datetime, run: str, *, reachable: bool = True) -> dict[str, Any]:
    """The contact about child `n` of `run`; from an anonymous referrer unless `reachable`."""
    about = child(n, run)
    referrer: dict[str, str] = (
        {"name": "Load Referrer", "organisation": "School", "phone": "0100 000 000"}
        if reachable
        else {}
    )
    return {
        "received_at": (now - timedelta(minutes=1)).isoformat(),
        "source": "2A" if reachable else "9",
        "referrer": referrer,
        "child": {k: about[k] for k in ("name", "date_of_birth", "address")},
        "household": [
            {"name": about["parent"], "relationship": "mother", "parental_responsibility": True}
        ],
        "concern": "Arrives hungry most days.",
        "categories": ["neglect"],
        "consent": "given",
    }
