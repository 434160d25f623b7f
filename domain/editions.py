"""The policy editions a case may name, by version: the timescales, working patterns and
escalation ladders as data, one TOML file per edition (domain/policies/, plus the council's own in
`FRONTDOOR_POLICY_DIR`). Add editions; never change or remove one that running cases may still
use.

The files are read and validated when this module is imported, so the worker and the API stop at
start-up, naming the file and the line, if one is wrong (`PolicyFileError`).
"""

from __future__ import annotations

from domain.policy import TimescalePolicy
from domain.policy_files import PolicyFileError, load_policies, policy_dirs

__all__ = [
    "DEFAULT_POLICY_VERSION",
    "ENGLAND_2023",
    "ENGLAND_2026",
    "POLICIES",
    "PolicyFileError",
    "UnknownPolicyError",
    "get_policy",
]

POLICIES: dict[str, TimescalePolicy] = load_policies(policy_dirs())
"""Every policy edition a case may name, by version. Add editions; never change or remove one
that running cases may still use."""

DEFAULT_POLICY_VERSION = "england-2026"
"""The edition new cases start under (cases under england-2023 keep theirs)."""

ENGLAND_2023 = POLICIES["england-2023"]
"""The first edition: every team works all hours (clock-hour timescales)."""

ENGLAND_2026 = POLICIES["england-2026"]
"""The default edition: contact then referral, office hours for the council's teams, the checks
margin, the emergency duty team out of hours (issue 15)."""


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
