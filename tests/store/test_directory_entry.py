"""The directory of mailboxes: storing entries, the rules that pick a row's mailbox, and putting
rows that failed for want of a mailbox back in the queue once one is set."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from domain.records import NotifyInput
from store import notification
from store.directory_entry import (
    Directory,
    DirectoryEntry,
    EntryKind,
    InvalidEntryError,
    list_entries,
    remove_entry,
    set_entry,
)
from store.notification import queue_notification

pytestmark = pytest.mark.timeout(60)


def team(name: str, mailbox: str, role: str | None = None, digest: bool = False) -> DirectoryEntry:
    return DirectoryEntry(kind=EntryKind.team, name=name, role=role, mailbox=mailbox, digest=digest)


def user(name: str, mailbox: str) -> DirectoryEntry:
    return DirectoryEntry(kind=EntryKind.user, name=name, mailbox=mailbox)


async def test_set_adds_or_changes_an_entry_and_remove_takes_it_away(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await set_entry(conn, team("front_door_managers", "tm@council.example", "team_manager"))
        await set_entry(conn, team("front_door_managers", "fdm@council.example"))
        await set_entry(conn, user("sam.patel", "sam.patel@council.example"))
        await set_entry(
            conn, team("front_door_managers", "tm2@council.example", "team_manager", digest=True)
        )

        assert await list_entries(conn) == [
            team("front_door_managers", "fdm@council.example"),
            team("front_door_managers", "tm2@council.example", "team_manager", digest=True),
            user("sam.patel", "sam.patel@council.example"),
        ]
        assert await remove_entry(conn, EntryKind.team, "front_door_managers", "team_manager")
        assert not await remove_entry(conn, EntryKind.team, "front_door_managers", "team_manager")
        assert [e.describe() for e in await list_entries(conn)] == [
            "team front_door_managers",
            "user sam.patel",
        ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (team("police", "not a mailbox"), "is not a mailbox"),
        (team("front_door_practitioners", "x@council.example", "assignee:sam"), "--user"),
        (DirectoryEntry(kind=EntryKind.user, name="sam", role="x", mailbox="s@c.example"), "role"),
        (team(" ", "x@council.example"), "team or a user"),
    ],
)
async def test_an_entry_that_cannot_be_right_is_refused(
    pool: asyncpg.Pool, entry: DirectoryEntry, message: str
) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(InvalidEntryError, match=message):
            await set_entry(conn, entry)
        assert await list_entries(conn) == []


def test_resolve_picks_the_mailbox_a_row_is_meant_for() -> None:
    directory = Directory(
        [
            team("front_door_practitioners", "fdp@council.example"),
            team("front_door_practitioners", "tm@council.example", "team_manager"),
            team("agency:police", "duty@police.example"),
            team("referrer", "outbound@council.example"),
            team("emergency_duty", "edt@council.example"),
            team("agency:police", "police-ooh@police.example", "emergency_duty"),
            user("sam.patel", "sam.patel@council.example"),
        ]
    )
    mailbox = {
        (t, r): (found.mailbox if (found := directory.resolve(t, r)) else None)
        for t, r in [
            ("front_door_practitioners", None),
            ("front_door_practitioners", "team_manager"),
            ("front_door_practitioners", "assignee:sam.patel"),
            ("front_door_practitioners", "assignee:nobody.known"),  # falls back to the team
            ("front_door_practitioners", "service_manager"),  # an escalation does not fall back
            ("agency:police", None),
            ("referrer", None),
            ("exploitation", None),
            ("front_door_managers", "emergency_duty"),  # out of hours: the emergency duty team
            ("agency:police", "emergency_duty"),  # unless the team names its own
        ]
    }
    assert list(mailbox.values()) == [
        "fdp@council.example",
        "tm@council.example",
        "sam.patel@council.example",
        "fdp@council.example",
        None,
        "duty@police.example",
        "outbound@council.example",
        None,
        "edt@council.example",
        "police-ooh@police.example",
    ]


async def _failed_for_want_of_a_mailbox(pool: asyncpg.Pool, role: str | None) -> uuid.UUID:
    referral_id = uuid.uuid4()
    async with pool.acquire() as conn:
        notification_id = await queue_notification(
            conn,
            NotifyInput(
                workflow_id=f"referral-{referral_id}",
                referral_id=referral_id,
                step_key="notify/x",
                kind="reminder" if role and role.startswith("assignee:") else "escalation",
                recipient_team="front_door_practitioners",
                recipient_role=role,
                occurred_at=datetime.now(UTC),
            ),
        )
        await notification.mark_failed(
            conn,
            [notification_id],
            reason=notification.NO_RECIPIENT,
            error="no directory entry",
            now=datetime.now(UTC),
        )
    return notification_id


async def test_setting_a_mailbox_requeues_only_the_rows_it_would_have_received(
    pool: asyncpg.Pool,
) -> None:
    team_row = await _failed_for_want_of_a_mailbox(pool, None)
    assignee_row = await _failed_for_want_of_a_mailbox(pool, "assignee:sam.patel")
    manager_row = await _failed_for_want_of_a_mailbox(pool, "team_manager")
    now = datetime.now(UTC)

    async with pool.acquire() as conn:
        failed = await notification.list_undeliverable(conn, reason=notification.NO_RECIPIENT)
        assert {f.notification_id for f in failed} == {team_row, assignee_row, manager_row}
        assert (
            await notification.list_undeliverable(conn, reason=notification.ATTEMPTS_EXHAUSTED)
            == []
        )

        sam = user("sam.patel", "sam.patel@council.example")
        assert await notification.requeue_no_recipient(conn, sam, now=now) == 1
        inbox = team("front_door_practitioners", "fdp@council.example")
        assert await notification.requeue_no_recipient(conn, inbox, now=now) == 1
        pending = await conn.fetch(
            "SELECT notification_id, attempts, failure_reason FROM notification "
            "WHERE status = 'pending'"
        )
        [still_failed] = await notification.list_undeliverable(conn)

    assert {r["notification_id"] for r in pending} == {team_row, assignee_row}
    assert {(r["attempts"], r["failure_reason"]) for r in pending} == {(0, None)}
    assert still_failed.notification_id == manager_row
    assert still_failed.referral_id is not None and still_failed.last_error == "no directory entry"
