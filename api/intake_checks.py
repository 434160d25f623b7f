"""What the API checks on an intake before anything starts: one child or several (never both or
neither), a referrer who can be named and reached unless anonymous (census source 9), and dates
that make sense against the clock and the case's policy (issue 15, item 7). Each refusal is a 422
in the one error shape, naming the field.

The dates are checked here, not in the models' validators: the workflow deserialises those
models on every replay, and must never read the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from api.errors import ApiError
from api.models.intake import IntakeRequest
from domain.editions import DEFAULT_POLICY_VERSION, get_policy
from domain.policy import IntakeRules
from domain.referral import ReferralSource

DUE_DATE_PAST_DAYS = 42
"""How long after its expected due date a baby may still be recorded as unborn (a late birth,
or a contact taken in after the day): six weeks."""

Problem = dict[str, Any]


def _problem(field: str, problem: str) -> Problem:
    return {"field": field, "problem": problem}


def _referrer(body: IntakeRequest) -> list[Problem]:
    if body.source is ReferralSource.anonymous:
        return []
    problems = []
    if not body.referrer.name:
        problems.append(
            _problem("referrer.name", "give the referrer's name (or source 9 if anonymous)")
        )
    if not body.referrer.phone and not body.referrer.email:
        problems.append(
            _problem("referrer.phone", "give a phone number or an email address for the referrer")
        )
    return problems


def _born(field: str, born: date | None, today: date, rules: IntakeRules) -> list[Problem]:
    if born is None:
        return []
    if born > today:
        return [_problem(field, "must not be in the future")]
    if born < rules.earliest_birth_date:
        return [_problem(field, f"must be on or after {rules.earliest_birth_date.isoformat()}")]
    return []


def _due(field: str, due: date | None, today: date, rules: IntakeRules) -> list[Problem]:
    if due is None:
        return []
    latest = today + timedelta(days=rules.expected_due_within_days)
    if due > latest:
        return [_problem(field, f"must be within {rules.expected_due_within_days} days from now")]
    if due < today - timedelta(days=DUE_DATE_PAST_DAYS):
        return [
            _problem(
                field,
                f"is more than {DUE_DATE_PAST_DAYS} days past: give the date of birth instead",
            )
        ]
    return []


def _dates(body: IntakeRequest, now: datetime, rules: IntakeRules) -> list[Problem]:
    problems = []
    if body.received_at > now + timedelta(minutes=rules.future_grace_minutes):
        problems.append(_problem("received_at", "must not be in the future"))
    elif body.received_at < now - timedelta(days=rules.received_within_days):
        problems.append(
            _problem("received_at", f"must be within the last {rules.received_within_days} days")
        )
    today = now.date()
    for index, child in enumerate(body.all_children):
        name = body.child_field(index)
        problems += _born(f"{name}.date_of_birth", child.date_of_birth, today, rules)
        problems += _due(f"{name}.expected_due_date", child.expected_due_date, today, rules)
    for index, member in enumerate(body.household):
        problems += _born(f"household.{index}.date_of_birth", member.date_of_birth, today, rules)
    return problems


def _open_case_choice(body: IntakeRequest) -> list[Problem]:
    return [
        _problem(
            body.child_field(index),
            "give add_to_case or new_case_reason, not both",
        )
        for index, child in enumerate(body.all_children)
        if child.add_to_case is not None and child.new_case_reason is not None
    ]


def check_intake(body: IntakeRequest, now: datetime) -> None:
    """422 naming every field that is wrong, or nothing."""
    if (body.child is None) == (body.children is None):
        raise invalid([_problem("children", "give either child or children (not both)")])
    rules = get_policy(DEFAULT_POLICY_VERSION).intake
    problems = _referrer(body) + _dates(body, now, rules) + _open_case_choice(body)
    problems += _as_cases(body)
    if problems:
        raise invalid(problems)


def _as_cases(body: IntakeRequest) -> list[Problem]:
    """What each child's case would refuse of its intake (the rules of ReferralDetails that
    span fields, such as a consent reason), named as the caller sent it."""
    problems: list[Problem] = []
    for index, child in enumerate(body.all_children):
        try:
            body.details_for(child)
        except ValidationError as err:
            for error in err.errors():
                loc = [str(part) for part in error.get("loc", ())]
                where = "consent_reason" if not loc else ".".join(loc)
                if loc[:1] == ["child"]:
                    where = ".".join([body.child_field(index), *loc[1:]])
                problems.append(_problem(where, error.get("msg", "is invalid")))
        if problems:
            break  # the shared fields fail alike for every child: once is enough
    return problems


def invalid(problems: list[Problem]) -> ApiError:
    fields = ", ".join(sorted({p["field"] for p in problems}))
    return ApiError(422, "invalid_request", f"the request is invalid: check {fields}", problems)
