"""The exploitation keyword prompt: which indicators of harm outside the family a concern's text
mentions, from the keyword list in domain/policies/exploitation/keywords.toml. Explainable on
purpose (each prompt names the words that raised it) and a prompt only: it decides nothing, the
screener records the indicators and the risk level.

Matching is case-insensitive and on word boundaries: a phrase matches where it stands as words
(any run of spaces between its words), never inside a longer word ("cash" is not in "cashew").
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

KEYWORDS_FILE = Path(__file__).resolve().parent / "policies" / "exploitation" / "keywords.toml"


class Indicator(BaseModel):
    label: str = Field(min_length=1)
    phrases: list[str] = Field(min_length=1)


class KeywordList(BaseModel):
    """The policy file: indicator code -> its label and the phrases that prompt it."""

    indicators: dict[str, Indicator]


class Prompt(BaseModel):
    """An indicator the text mentions, and the phrases of the list it matched (in list order)."""

    indicator: str
    label: str
    matched: list[str]


@cache
def keyword_list(path: Path = KEYWORDS_FILE) -> KeywordList:
    """The keyword list of `path` (the shipped one by default), read once."""
    with path.open("rb") as f:
        return KeywordList.model_validate(tomllib.load(f))


@cache
def _pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in phrase.lower().split()]
    return re.compile(r"(?<![\w])" + r"[\s\-]+".join(words) + r"(?![\w])", re.IGNORECASE)


def prompts(text: str, keywords: KeywordList | None = None) -> list[Prompt]:
    """The indicators `text` mentions, in the list's order, each with the phrases it matched."""
    listed = keywords or keyword_list()
    found: list[Prompt] = []
    for code, indicator in listed.indicators.items():
        matched = [p for p in indicator.phrases if _pattern(p).search(text)]
        if matched:
            found.append(Prompt(indicator=code, label=indicator.label, matched=matched))
    return found
