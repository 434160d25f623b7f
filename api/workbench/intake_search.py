"""Existing records for the intake form (api/workbench/intake.py): for each child typed in, the
people the API's person search (`POST /people/search`) finds, why they match and the cases they
are in, so the screener sees earlier referrals and open cases before making a new one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from api.models.people import PersonQuery
from api.workbench.calls import Api, RefusedError
from api.workbench.forms import Form, body_of, first
from api.workbench.intake_form import child_given, stage_words


@dataclass(frozen=True)
class CaseSeen:
    referral_id: str
    role: str
    stage: str | None

    @property
    def is_open(self) -> bool:
        return self.stage != "closed"

    @property
    def words(self) -> str:
        return stage_words(self.stage)


@dataclass(frozen=True)
class Seen:
    """A person the search found: who, when born, why they may be the child, their cases."""

    name: str
    born: str
    reasons: list[str]
    score: int
    cases: list[CaseSeen]

    @property
    def open_cases(self) -> list[CaseSeen]:
        return [c for c in self.cases if c.is_open]


@dataclass
class Found:
    """What the search said about one child of the form."""

    searched: bool = False
    problem: str = ""
    candidates: list[Seen] = field(default_factory=list)


def _day(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%-d %B %Y") if value else ""


def _born(person: dict[str, Any]) -> str:
    if person.get("date_of_birth"):
        return _day(person["date_of_birth"])
    if person.get("unborn"):
        due = _day(person.get("expected_due_date"))
        return f"Not born yet (due {due})" if due else "Not born yet"
    if person.get("birth_year_estimate"):
        return f"Born around {person['birth_year_estimate']} (estimated)"
    return "Not known"


def _seen(candidate: dict[str, Any]) -> Seen:
    person = candidate["person"]
    return Seen(
        name=str(person["name"]),
        born=_born(person),
        reasons=[str(r) for r in candidate.get("reasons", [])],
        score=round(float(candidate.get("score", 0)) * 100),
        cases=[
            CaseSeen(str(c["referral_id"]), str(c["role"]), c.get("stage"))
            for c in person.get("cases", [])
        ],
    )


def query_of(form: Form, index: int) -> Any:
    """The person search's body for child `index`, from the child's fields."""
    prefix = f"children.{index}."
    fields = {k[len(prefix) :]: v for k, v in form.items() if k.startswith(prefix)}
    # The intake takes an NHS number with spaces (as it is printed); the search, digits only.
    if "nhs_number" in fields:
        fields["nhs_number"] = [re.sub(r"[\s-]", "", first(fields, "nhs_number"))]
    return body_of(PersonQuery, fields)


async def existing_records(api: Api, form: Form, groups: int) -> dict[int, Found]:
    """For each child typed in, who the search finds (or why it could not look)."""
    found: dict[int, Found] = {}
    for index in range(groups):
        if not child_given(form, index):
            continue
        if not first(form, f"children.{index}.name").strip():
            found[index] = Found(problem="Give the child's name to look for their records.")
            continue
        try:
            answer = await api.post("/people/search", query_of(form, index))
        except RefusedError as err:
            if err.status != 422:
                raise
            fields = ", ".join(str(d.get("field", "")).replace("_", " ") for d in err.details)
            found[index] = Found(problem=f"The search could not use what was given: {fields}.")
            continue
        found[index] = Found(searched=True, candidates=[_seen(c) for c in answer["candidates"]])
    return found
