"""The exploitation keyword prompt: which indicators a concern's words mention, on word
boundaries and whatever the case; the shipped list is valid and every phrase is findable."""

from __future__ import annotations

from pathlib import Path

from domain.indicators import KEYWORDS_FILE, KeywordList, keyword_list, prompts


def found(text: str) -> dict[str, list[str]]:
    return {p.indicator: p.matched for p in prompts(text)}


def test_a_neglect_concern_that_describes_exploitation_prompts_the_screener() -> None:
    text = "He's been going missing and comes back with new trainers and two phones"
    assert found(text) == {
        "going_missing": ["missing", "going missing"],
        "money_or_gifts": ["new trainers", "two phones"],
    }


def test_matching_ignores_case_and_spacing_but_not_word_boundaries() -> None:
    assert found("Mum says COUNTY  LINES and a Trap-House") == {
        "county_lines": ["county lines", "trap house"]
    }
    assert found("He likes cashews; the dismissing teacher; Cuckoo clocks") == {}
    assert found("paid in cash.") == {"money_or_gifts": ["cash"]}
    assert found("The family were cuckooed last month") == {"county_lines": ["cuckooed"]}


def test_nothing_is_prompted_by_an_ordinary_concern() -> None:
    assert prompts("The children arrive hungry; shouting heard at night.") == []


def test_every_listed_phrase_prompts_its_own_indicator() -> None:
    listed = keyword_list()
    assert set(listed.indicators) >= {
        "going_missing", "money_or_gifts", "county_lines", "older_associates", "substance_use",
        "sexual_health", "exclusion", "online_contact",
    }  # fmt: skip
    for code, indicator in listed.indicators.items():
        for phrase in indicator.phrases:
            assert code in found(f"Said: {phrase.upper()}."), phrase


def test_another_list_can_be_given(tmp_path: Path) -> None:
    own = tmp_path / "keywords.toml"
    own.write_text('[indicators.x]\nlabel = "X"\nphrases = ["red car"]\n')
    listed = keyword_list(own)
    assert isinstance(listed, KeywordList) and KEYWORDS_FILE.is_file()
    assert [p.indicator for p in prompts("a Red Car waits", listed)] == ["x"]
