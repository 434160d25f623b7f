"""The household on a partner's agency check: the names (and aliases), dates of birth (or age)
and addresses of the adults named at intake, and nothing else about them; each person shown is
recorded in `person_access` (who, which agency, which task, when) before the answer leaves."""

from __future__ import annotations

import asyncpg

from api.auth import User
from api.models.people import HouseholdPerson
from domain.referral import ReferralDetails
from store import person as person_store
from store import person_match as match_store
from store.task import InboxTask


async def household_for_partner(
    pool: asyncpg.Pool, user: User, task: InboxTask, details: ReferralDetails
) -> list[HouseholdPerson]:
    """The household as the intake named it, its reads audited against the person records."""
    shown = [
        HouseholdPerson(
            name=member.name,
            aliases=list(member.aliases),
            date_of_birth=member.date_of_birth,
            age_estimate_years=member.age_estimate_years,
            address=member.address or details.child.address,
        )
        for member in details.household
    ]
    async with pool.acquire() as conn, conn.transaction():
        people = await person_store.people_of_case(conn, task.referral_id, "household")
        await match_store.record_reads(
            conn,
            people,
            user_id=user.user_id,
            agency=user.agency.value if user.agency else None,
            referral_id=task.referral_id,
            task_id=task.task_id,
            route="/tasks/{task_id}",
        )
    return shown
