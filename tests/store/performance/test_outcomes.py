"""Re-referrals, what contacts and referrals became (conversion) and referrers acknowledged and
told in time, on a hand-built read model with the answers worked out here."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from tests.store.performance.rows import WEEK_1, WEEK_2, Rows, at, mar, measure, week


async def test_re_referrals_within_twelve_months_of_a_previous_referral_closing(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        rows = Rows(conn)

        async def referral(received: Any, referral_at: Any, **columns: Any) -> None:
            await rows.referral(received, referral_at=referral_at, **columns)

        # Child 1's referral closed on 10 March 2025 at 10:00; referred again on 10 March 2026
        # at 10:00: the boundary instant, 12 months to the minute: a re-referral.
        await referral(
            at(date(2025, 3, 1), 9),
            at(date(2025, 3, 1), 10),
            child_nhs_number="n1",
            closed_at=at(date(2025, 3, 10), 10),
        )
        await referral(mar(2, 9), mar(10, 10), child_nhs_number="n1", closed_at=mar(10, 12))
        # Child 2's closed a minute earlier: 12 months and a minute: not one (and the flag set at
        # registration, which counts any earlier contact, does not matter).
        await referral(
            at(date(2025, 3, 1), 9),
            at(date(2025, 3, 1), 10),
            child_nhs_number="n2",
            closed_at=at(date(2025, 3, 10), 9, 59),
        )
        await referral(mar(2, 9), mar(10, 10), child_nhs_number="n2", re_referral=True)
        # Child 3, matched by the name-and-birth key alone: closed in January: a re-referral.
        await referral(
            at(date(2026, 1, 2), 9),
            at(date(2026, 1, 2), 10),
            child_match_key="k3",
            closed_at=at(date(2026, 1, 5), 10),
        )
        await referral(mar(3, 9), mar(3, 10), child_match_key="k3")
        # Child 4's earlier case was a contact, never a referral: not one.
        await rows.referral(
            at(date(2026, 2, 1), 9),
            child_nhs_number="n4",
            outcome="nfa",
            closed_at=at(date(2026, 2, 1), 12),
        )
        await referral(mar(4, 9), mar(4, 10), child_nhs_number="n4")
        # Child 5's earlier referral is still open: not one.
        await referral(at(date(2026, 2, 1), 9), at(date(2026, 2, 1), 10), child_nhs_number="n5")
        await referral(mar(5, 9), mar(5, 10), child_nhs_number="n5")
        # A contact of child 3 that stays a contact: not a referral, so not counted at all.
        await rows.referral(mar(6, 9), child_match_key="k3", outcome="advice")
        # Week 2: child 1 again, within 12 months of the referral that closed on 10 March 2026
        # (the one of March 2025 is now more than 12 months before): a re-referral.
        await referral(mar(11, 9), mar(11, 10), child_nhs_number="n1")

    result = await measure(pool, "re_referrals")

    assert result.period.model_dump() == {"referrals": 6, "re_referrals": 3, "percent": 50.0}
    assert week(result, WEEK_1).model_dump(exclude={"week_start"}) == {
        "referrals": 5,
        "re_referrals": 2,
        "percent": 40.0,
    }
    assert week(result, WEEK_2).percent == 100.0


async def test_conversion_of_contacts_to_referrals_and_what_referrals_became(
    pool: asyncpg.Pool,
) -> None:
    # (outcome, strategy outcome, made a referral)
    week_1 = [
        ("nfa", None, False),
        ("nfa", None, False),
        ("advice", None, False),
        ("early_help", None, False),
        ("referral", None, True),  # the response not decided yet
        ("step_down", None, True),
        ("assessment", None, True),
        ("strategy_discussion", "section_47", True),
        ("strategy_discussion", "assessment", True),
        ("strategy_discussion", "nfa", True),
        ("immediate_protection", None, True),  # its strategy discussion not held yet
    ]
    async with pool.acquire() as conn:
        rows = Rows(conn)
        for outcome, strategy, referred in week_1:
            await rows.referral(
                mar(3, 10),
                outcome=outcome,
                strategy_outcome=strategy,
                mash_decided_at=mar(3, 12),
                referral_at=mar(3, 12) if referred else None,
            )
        await rows.referral(mar(10, 10))  # a contact not decided yet
        await rows.referral(mar(10, 11), immediate_risk=True, referral_at=mar(10, 11))

    result = await measure(pool, "conversion")

    whole = result.period
    assert (whole.contacts, whole.decided, whole.referrals) == (13, 11, 8)
    assert whole.outcomes == {
        "nfa": 2,
        "advice": 1,
        "early_help": 1,
        "referral": 1,
        "assessment": 1,
        "strategy_discussion": 3,
        "immediate_protection": 1,
        "step_down": 1,
    }
    assert whole.responses == {
        "step_down": 1,
        "assessment": 2,
        "section_47": 1,
        "strategy_nfa": 1,
        "strategy_pending": 1,
        "pending": 2,
    }
    assert sum(whole.responses.values()) == whole.referrals
    assert whole.contacts_to_referrals_percent == 61.5  # 8 of 13
    assert whole.percent_of_contacts["nfa"] == 15.4  # 2 of 13
    assert whole.percent_of_referrals["assessment"] == 25.0  # 2 of 8
    assert whole.percent_of_referrals["section_47"] == 12.5
    first, second = week(result, WEEK_1), week(result, WEEK_2)
    assert (first.contacts, first.referrals, second.contacts, second.referrals) == (11, 7, 2, 1)
    assert second.responses["pending"] == 1


async def test_referrers_acknowledged_and_told_within_timescale(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        r = Rows(conn).referral
        # Week 1. Acknowledged at the due instant and told before the due time: both on time.
        await r(
            mar(2, 10),
            acknowledgement_due_at=mar(3, 10),
            acknowledged_at=mar(3, 10),
            referrer_feedback_due_at=mar(4, 12),
            referrer_told_at=mar(4, 11),
        )
        # Acknowledged an hour late; never told, and the case closed before the telling was due:
        # the referrer was still owed it: late.
        await r(
            mar(3, 10),
            acknowledgement_due_at=mar(4, 10),
            acknowledged_at=mar(4, 11),
            referrer_feedback_due_at=mar(5, 10),
            closed_at=mar(4, 12),
        )
        # An anonymous referrer: no due times, so in neither measure (whatever else is stamped).
        await r(mar(4, 10), referrer_told_at=mar(4, 12), closed_at=mar(4, 12))
        # Friday 16:00, due Monday 16:00 over the weekend: acknowledged Monday 15:00, on time;
        # not yet decided, so not owed the outcome yet.
        await r(mar(6, 16), acknowledgement_due_at=mar(9, 16), acknowledged_at=mar(9, 15))
        # Acknowledged on time; told a minute after the due time: late.
        await r(
            mar(5, 10),
            acknowledgement_due_at=mar(6, 10),
            acknowledged_at=mar(5, 12),
            referrer_feedback_due_at=mar(9, 12),
            referrer_told_at=mar(9, 12, 1),
        )
        # Week 2. Open and not acknowledged, due at 10:00 today: late.
        await r(mar(12, 10), acknowledgement_due_at=mar(13, 10))
        # Not acknowledged, due on Monday: pending.
        await r(mar(13, 11), acknowledgement_due_at=mar(16, 11))
        # Acknowledged on time; the telling due now exactly, not done yet: pending.
        await r(
            mar(9, 10),
            acknowledgement_due_at=mar(10, 10),
            acknowledged_at=mar(9, 10, 30),
            referrer_feedback_due_at=mar(13, 17),
        )

    result = await measure(pool, "referrers")

    assert result.period.acknowledged.model_dump() == {
        "on_time": 4,
        "late": 2,
        "pending": 1,
        "percent": 66.7,
    }
    assert result.period.told.model_dump() == {
        "on_time": 1,
        "late": 2,
        "pending": 1,
        "percent": 33.3,
    }
    first, second = week(result, WEEK_1), week(result, WEEK_2)
    assert (first.acknowledged.percent, first.told.percent) == (75.0, 33.3)
    assert second.acknowledged.model_dump() == {
        "on_time": 1,
        "late": 1,
        "pending": 1,
        "percent": 50.0,
    }
    assert second.told.model_dump() == {"on_time": 0, "late": 0, "pending": 1, "percent": None}
