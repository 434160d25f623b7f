"""Drawing a month's audit sample and assigning it: the rules include what they must, the same
seed draws the same cases, and nobody is given a case they worked."""

from __future__ import annotations

import uuid

import pytest

from domain.quality import (
    Candidate,
    NoAuditorError,
    Reason,
    SampleRules,
    assign,
    draw_sample,
)


def case(**overrides: object) -> Candidate:
    values: dict[str, object] = {
        "referral_id": uuid.uuid4(),
        "re_referral": False,
        "outcome": "assessment",
        "escalation_level": 0,
        "exploitation_risk": "none",
    }
    values.update(overrides)
    return Candidate(**values)  # type: ignore[arg-type]


def month() -> list[Candidate]:
    return (
        [case() for _ in range(40)]
        + [case(re_referral=True) for _ in range(3)]
        + [case(escalation_level=3) for _ in range(2)]
        + [case(exploitation_risk="significant"), case(exploitation_risk="experiencing")]
        + [case(exploitation_risk="emerging")]
        + [case(outcome="nfa") for _ in range(8)]
    )


def test_the_rules_always_include_re_referrals_the_top_rung_and_exploitation() -> None:
    candidates = month()
    picks = {p.referral_id: p.reasons for p in draw_sample(candidates, SampleRules(), seed=7)}
    for c in candidates:
        if c.re_referral:
            assert Reason.re_referral in picks[c.referral_id]
        if c.escalation_level == 3:
            assert Reason.top_rung in picks[c.referral_id]
        if c.exploitation_risk in ("significant", "experiencing"):
            assert Reason.exploitation in picks[c.referral_id]


def test_a_share_of_no_further_action_and_a_random_share_of_the_rest() -> None:
    candidates = month()
    picks = draw_sample(candidates, SampleRules(nfa_share=0.25, random_share=0.1), seed=7)
    nfa = [p for p in picks if Reason.nfa in p.reasons]
    assert len(nfa) == 2  # a quarter of the 8 no-further-action outcomes
    random_picks = [p for p in picks if p.reasons == (Reason.random,)]
    assert len(random_picks) == 6  # ceil(10 % of 57 cases)
    assert len({p.referral_id for p in picks}) == len(picks)


def test_the_same_seed_draws_the_same_cases_whatever_their_order() -> None:
    candidates = month()
    first = draw_sample(candidates, SampleRules(), seed=12345)
    again = draw_sample(list(reversed(candidates)), SampleRules(), seed=12345)
    other = draw_sample(candidates, SampleRules(), seed=54321)
    assert first == again
    assert [p.referral_id for p in first] != [p.referral_id for p in other]


def test_nobody_is_assigned_a_case_they_worked_and_the_load_is_spread() -> None:
    picks = draw_sample(month(), SampleRules(), seed=3)
    auditors = ["ann.auditor", "bob.manager", "cat.manager"]
    worked = {p.referral_id: {"bob.manager"} for p in picks[::2]}
    chosen = assign(picks, auditors, worked)
    assert set(chosen) == {p.referral_id for p in picks}
    for referral_id, auditor in chosen.items():
        assert auditor not in worked.get(referral_id, set())
    loads = [list(chosen.values()).count(a) for a in auditors]
    assert max(loads) - min(loads) <= len(picks) // 2


def test_a_case_everyone_worked_cannot_be_assigned() -> None:
    picks = draw_sample([case(re_referral=True)], SampleRules(), seed=1)
    with pytest.raises(NoAuditorError):
        assign(picks, ["ann"], {picks[0].referral_id: {"ann"}})
