"""People: the person record (a child, an unborn baby or an adult around them), relationships
between people, the census codes a person is described with, and the pure parts of person
matching (normalising names, their trigrams and phonetic codes, and scoring a candidate).

What is compared in clear and what is sealed (docs/people.md says it at length):
- the record itself (names, aliases, dates, address history, identifiers, the census codes) is
  sealed like the case record, bound to the person's id;
- matching uses keyed forms only: every name trigram, every phonetic code (alone and with each
  plausible year of birth), every address token is turned into a keyed HMAC (cut to 32 bits), the
  date of birth and the NHS number into full keyed HMACs. The database can compare them (equal or
  not, how many shared) but cannot read them back or recompute them from a list of names without
  the identifier key. Only the year of birth (exact or estimated) is kept in clear, to bound the
  search. PostgreSQL's pg_trgm and fuzzystrmatch would need the names in clear, and the embedded
  PostgreSQL (pgserver) ships neither: the same trigram and sound-alike comparison is done here,
  on keyed values, with a GIN index on their arrays doing the candidate search.

No I/O: the keys are applied by callables the caller passes in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field


class Gender(StrEnum):
    """The Children in Need census gender codes."""

    not_known = "0"
    male = "1"
    female = "2"
    not_specified = "9"


class Ethnicity(StrEnum):
    """The Children in Need census ethnicity codes."""

    white_british = "WBRI"
    white_irish = "WIRI"
    white_irish_traveller = "WIRT"
    white_other = "WOTH"
    white_roma = "WROM"
    mixed_white_black_caribbean = "MWBC"
    mixed_white_black_african = "MWBA"
    mixed_white_asian = "MWAS"
    mixed_other = "MOTH"
    asian_indian = "AIND"
    asian_pakistani = "APKN"
    asian_bangladeshi = "ABAN"
    asian_other = "AOTH"
    black_caribbean = "BCRB"
    black_african = "BAFR"
    black_other = "BOTH"
    chinese = "CHNE"
    other = "OOTH"
    refused = "REFU"
    not_obtained = "NOBT"


LANGUAGE_CODE = r"^[A-Z]{3,4}$"
"""A first language as the DfE's census language codes spell it (ENG, ENB, POL, URD, ...)."""


class PersonKind(StrEnum):
    child = "child"
    adult = "adult"


class RelationshipKind(StrEnum):
    """How two people are related, as the front door records it (codes only, in clear)."""

    sibling = "sibling"
    household = "household"  # an adult of the child's household (or with parental responsibility)


class MatchDecision(StrEnum):
    """A screener's answer about a candidate match: the same person, or not."""

    confirmed = "confirmed"
    rejected = "rejected"


class AddressEntry(BaseModel):
    address: str
    recorded_on: date


class PersonRecord(BaseModel):
    """A person as the record holds them (sealed): everything but the keyed forms."""

    kind: PersonKind
    name: str
    aliases: list[str] = Field(default_factory=list)
    date_of_birth: date | None = None
    birth_year_estimate: int | None = None
    unborn: bool = False
    expected_due_date: date | None = None
    gender: Gender | None = None
    ethnicity: Ethnicity | None = None
    first_language: str | None = None
    addresses: list[AddressEntry] = Field(default_factory=list)
    nhs_number: str | None = None
    relationship_to_child: str | None = None
    parental_responsibility: bool = False

    @property
    def born(self) -> date | None:
        """The date of birth, or for the unborn the expected due date."""
        return self.date_of_birth or self.expected_due_date

    @property
    def birth_year(self) -> tuple[int | None, bool]:
        """The year of birth and whether it is an estimate."""
        if self.born is not None:
            return self.born.year, False
        return self.birth_year_estimate, self.birth_year_estimate is not None


# ---- comparable forms ----------------------------------------------------------------------

ESTIMATE_YEARS = 2
"""How far either side of an estimated year of birth a person may be born."""
QUERY_YEARS = 0
"""How far either side of a known year of birth a search looks by sound-alike names (the day
and month may be swapped, the year is taken as given; the keyed date finds the rest)."""


def normalised_name(name: str) -> str:
    """Lower case ASCII letters and single spaces: accents folded, punctuation dropped."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z ]", " ", folded.lower().replace("'", "")).split())


def trigrams(name: str) -> set[str]:
    """The trigrams of a normalised name, word by word, padded as pg_trgm pads them."""
    grams: set[str] = set()
    for word in name.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


_SPELLINGS = (
    ("ph", "f"), ("ck", "k"), ("dg", "j"), ("gh", "g"), ("kh", "k"), ("sch", "sk"),
    ("ce", "se"), ("ci", "si"), ("cy", "sy"), ("c", "k"), ("q", "k"), ("x", "ks"),
    ("z", "s"), ("y", "i"), ("w", "v"),
)  # fmt: skip
_SOUNDS = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("gjks", "2"), "d": "3", "t": "3"}
_SOUNDS |= {"l": "4", "m": "5", "n": "5", "r": "6"}


def phonetic(word: str) -> str:
    """A sound-alike code of one normalised word: Soundex over spellings made alike first (c/k,
    ph/f, y/i, z/s), so Jayden and Jaiden, Katie and Caty, Mohammed and Muhammad share one."""
    spelt = word
    for written, said in _SPELLINGS:
        spelt = spelt.replace(written, said)
    if not spelt:
        return ""
    digits = [_SOUNDS.get(char, "") for char in spelt]
    code, last = spelt[0].upper(), digits[0]
    for char, digit in zip(spelt[1:], digits[1:], strict=True):
        if digit and digit != last:
            code += digit
        if char not in "hv":  # as in Soundex, h and w do not separate two like sounds
            last = digit
    return (code + "000")[:4]


def address_tokens(address: str) -> set[str]:
    """The words and numbers of an address, and its postcode run together."""
    plain = normalised_name(re.sub(r"[0-9]", lambda m: f" {m.group()}", address))
    numbers = re.findall(r"[0-9]+[a-z]?", address.lower())
    postcode = re.search(r"\b([a-z]{1,2}[0-9][a-z0-9]?)\s*([0-9][a-z]{2})\b", address.lower())
    tokens = {word for word in plain.split() if len(word) > 1} | set(numbers)
    if postcode:
        tokens.add(postcode.group(1) + postcode.group(2))
    return tokens


KeyInt = Callable[[str], int]
"""A keyed 32-bit form of a plain value (for the arrays the database compares)."""
KeyText = Callable[[str, str], str]
"""A keyed full-length form of a plain value of a kind ("dob", "nhs")."""


@dataclass(frozen=True)
class Forms:
    """The keyed forms of a person (or of a search) that matching compares."""

    names: list[frozenset[int]]
    sounds: frozenset[int]
    blocks: frozenset[int]
    birth_year: int | None = None
    year_estimated: bool = False
    dob_keys: frozenset[str] = field(default_factory=frozenset)
    address: frozenset[int] = field(default_factory=frozenset)
    nhs_key: str | None = None


def _sounds(names: Iterable[str]) -> set[str]:
    return {f"p:{phonetic(word)}" for name in names for word in name.split() if word}


def _years(year: int | None, spread: int) -> range:
    return range(0) if year is None else range(year - spread, year + spread + 1)


def swapped(day: date) -> date | None:
    """The date with its day and month swapped, when that is another real date."""
    if day.day > 12 or day.day == day.month:
        return None
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


def forms(
    names: list[str],
    *,
    born: date | None,
    year: int | None,
    estimated: bool,
    addresses: Iterable[str],
    nhs_number: str | None,
    key_int: KeyInt,
    key_text: KeyText,
    searching: bool = False,
) -> Forms:
    """The keyed forms of a person's names, dates, addresses and NHS number. A search (with
    `searching`) blocks on a year either side of a known year and keys the swapped date too; a
    stored person blocks on the years an estimate allows."""
    plain = [n for n in (normalised_name(name) for name in names) if n]
    sounds = _sounds(plain)
    spread = (
        (ESTIMATE_YEARS if estimated else QUERY_YEARS)
        if searching
        else (ESTIMATE_YEARS if estimated else 0)
    )
    years = _years(year, spread)
    blocks = set(sounds) if (searching and year is None) or not searching else set()
    blocks |= {f"{sound}:{y}" for sound in sounds for y in years}
    dates = [born] if born else []
    if searching and born and (other := swapped(born)):
        dates.append(other)
    return Forms(
        names=[frozenset(key_int(f"g:{g}") for g in trigrams(n)) for n in plain],
        sounds=frozenset(key_int(s) for s in sounds),
        blocks=frozenset(key_int(b) for b in blocks),
        birth_year=year,
        year_estimated=estimated,
        dob_keys=frozenset(key_text("dob", d.isoformat()) for d in dates),
        address=frozenset(key_int(f"a:{t}") for a in addresses for t in address_tokens(a)),
        nhs_key=key_text("nhs", nhs_number) if nhs_number else None,
    )


# ---- scoring ----------------------------------------------------------------------------------

MATCH_THRESHOLD = 0.7
"""A candidate this close is taken for the same person until a screener says otherwise (an open
case of theirs stops an intake from starting another)."""
SHOWN_THRESHOLD = 0.3
"""Candidates below this are not shown at all."""
_WEIGHTS = {"name": 0.55, "born": 0.30, "address": 0.15}


@dataclass(frozen=True)
class Scored:
    score: float
    reasons: list[str]


def _dice(a: frozenset[int], b: frozenset[int]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _born(query: Forms, candidate: Forms, swapped_key: bool) -> tuple[float, str | None]:
    if query.dob_keys and candidate.dob_keys and query.dob_keys & candidate.dob_keys:
        return (
            (0.9, "date of birth matches with day and month swapped")
            if swapped_key
            else (
                1.0,
                "same date of birth",
            )
        )
    if query.birth_year is None or candidate.birth_year is None:
        return 0.0, None
    gap = abs(query.birth_year - candidate.birth_year)
    if query.year_estimated or candidate.year_estimated:
        if gap <= ESTIMATE_YEARS:
            return 0.5, "born around the same year (an age estimate)"
        return 0.0, None
    if gap == 0:
        return 0.3, "born the same year (another date)"
    return 0.0, None


def score(query: Forms, candidate: Forms, exact_dob_key: str | None) -> Scored:
    """How likely `candidate` is the person `query` describes (0 to 1), and why, in words a
    screener reads. `exact_dob_key` tells the query's own date from its swapped one."""
    reasons: list[str] = []
    if query.nhs_key is not None and query.nhs_key == candidate.nhs_key:
        return Scored(1.0, ["same NHS number"])
    spelt = max((_dice(q, c) for q in query.names for c in candidate.names), default=0.0)
    sounds = len(query.sounds & candidate.sounds) / len(query.sounds) if query.sounds else 0.0
    name = 0.6 * spelt + 0.4 * sounds
    if spelt >= 0.95:
        reasons.append("same name")
    elif spelt >= 0.5:
        reasons.append(f"name spelt alike ({round(spelt * 100)}% of letter groups shared)")
    if sounds > 0 and spelt < 0.95:
        share = (
            "sounds alike" if sounds == 1 else f"{round(sounds * 100)}% of the name sounds alike"
        )
        reasons.append(f"name {share}")
    matched_swapped = bool(
        query.dob_keys & candidate.dob_keys and exact_dob_key not in candidate.dob_keys
    )
    born, why = _born(query, candidate, matched_swapped)
    if why:
        reasons.append(why)
    shared = len(query.address & candidate.address) / len(query.address) if query.address else 0.0
    if shared >= 0.8:
        reasons.append("same address")
    elif shared >= 0.4:
        reasons.append("address alike")
    total = _WEIGHTS["name"] * name + _WEIGHTS["born"] * born + _WEIGHTS["address"] * shared
    return Scored(round(min(total, 0.99), 3), reasons)
