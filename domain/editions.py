"""The policy editions a case may name, by version: the timescales and escalation ladders as
data. Add editions; never change or remove one that running cases may still use."""

from __future__ import annotations

from domain.policy import (
    EscalationLadder,
    RagTimescales,
    Role,
    RungSpec,
    StrategyDiscussionTimescales,
    Timescale,
    TimescalePolicy,
    VisitTimescales,
)

ENGLAND_2023 = TimescalePolicy(
    version="england-2023",
    screening=Timescale(hours=2),
    agency_checks=RagTimescales(
        red=Timescale(hours=2),
        amber=Timescale(hours=6),
        green=Timescale(hours=24),
    ),
    decision=RagTimescales(
        red=Timescale(hours=4),
        amber=Timescale(working_days=1),
        green=Timescale(working_days=3),
    ),
    strategy_discussion=StrategyDiscussionTimescales(
        immediate_protection=Timescale(hours=2),
        otherwise=Timescale(working_days=1),
    ),
    visit=VisitTimescales(
        child_protection=Timescale(hours=24),
        assessment=Timescale(working_days=5),
    ),
    visit_reattempt=Timescale(hours=24),
    referrer_told=Timescale(working_days=1),
    review_new_information=Timescale(hours=2),
    escalation=EscalationLadder(
        rungs=(
            RungSpec(level=0, role=Role.assignee, offset=-0.25),
            RungSpec(level=1, role=Role.team_manager, offset=0),
            RungSpec(level=2, role=Role.service_manager, offset=0.5),
            RungSpec(level=3, role=Role.head_of_service, offset=1),
        )
    ),
)
"""The default policy edition: the timescales of the referral workflow's specification (issue 3)."""

DEFAULT_POLICY_VERSION = "england-2023"

POLICIES: dict[str, TimescalePolicy] = {ENGLAND_2023.version: ENGLAND_2023}
"""Every policy edition a case may name, by version. Add editions; never change or remove one
that running cases may still use."""


class UnknownPolicyError(KeyError):
    """A case named a policy version that is not in `POLICIES`."""

    def __init__(self, version: str, known: list[str]) -> None:
        super().__init__(version)
        self.version = version
        self.known = known

    def __str__(self) -> str:
        # KeyError's own __str__ shows the repr of its argument; give a sentence instead.
        return f"unknown timescale policy {self.version!r}; known versions: {', '.join(self.known)}"


def get_policy(version: str = DEFAULT_POLICY_VERSION) -> TimescalePolicy:
    """The policy edition named `version`; UnknownPolicyError (a KeyError) if there is none."""
    try:
        return POLICIES[version]
    except KeyError:
        raise UnknownPolicyError(version, sorted(POLICIES)) from None
