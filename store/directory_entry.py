"""Queries on `directory_entry`: which mailbox a team, a role in a team, or a member of staff reads.

Maintained by `frontdoor directory set|list|remove` (cli/notify.py) and read by the notifier
(notifier/dispatcher.py), which resolves each outbox row to one entry with `resolve`. Staff and
team mailboxes only: no child's or family's contact lives here. Callers open any transaction.

How a row of the outbox finds its mailbox (the rules `resolve` applies):

- role NULL: the team's own entry (team, no role): a team's shared inbox, an agency's duty
  mailbox (`agency:police`), or `referrer` for `referrer_told` rows. The referrer's own address is
  personal data kept out of the outbox, so the `referrer` entry is the front door's outbound
  mailbox, whose staff (or a forwarding rule) reply to the referrer from the case record.
- role `assignee:<user>`: that member of staff's `user` entry; without one, the team's own entry,
  because a reminder must reach somebody who can act and the team inbox is who would pick it up.
- role `emergency_duty` (a rung out of the team's working hours): the emergency duty team's own
  entry (team `emergency_duty`), unless the team names its own out-of-hours entry.
- any other role (team_manager, service_manager, head_of_service): that role's entry in that team
  and nothing else: an escalation that lands in the inbox it is escalating over is no escalation.

No entry: `resolve` returns None and the notifier fails the row as `no_recipient`.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel

from store.pool import Conn

ASSIGNEE_PREFIX = "assignee:"
EMERGENCY_DUTY = "emergency_duty"
"""The role of a rung out of hours, and the team that answers it (the emergency duty team)."""

# Deliberately loose: one @, no spaces or angle brackets. The SMTP server is the real judge; this
# only stops a name or a typo being stored as a mailbox.
_MAILBOX = re.compile(r"^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$")


class EntryKind(StrEnum):
    """A team's (or a role's in it) mailbox, or a member of staff's own."""

    team = "team"
    user = "user"


class InvalidEntryError(ValueError):
    """A directory entry that cannot be stored (bad mailbox, a role on a user entry)."""


class DirectoryEntry(BaseModel):
    """One mailbox: `name` is the team (kind team) or the user id (kind user); `role` is None for
    the team's own mailbox and for every user entry."""

    kind: EntryKind
    name: str
    role: str | None = None
    mailbox: str
    digest: bool = False

    def describe(self) -> str:
        """Who the entry is for, as the CLI shows it."""
        if self.kind is EntryKind.user:
            return f"user {self.name}"
        return f"{self.role} of {self.name}" if self.role else f"team {self.name}"


def check_entry(entry: DirectoryEntry) -> None:
    """InvalidEntryError unless the entry can be stored."""
    if not entry.name.strip():
        raise InvalidEntryError("a directory entry needs a team or a user")
    if entry.kind is EntryKind.user and entry.role:
        raise InvalidEntryError("a user's entry has no role")
    if entry.role is not None and (
        not entry.role.strip() or entry.role.startswith(ASSIGNEE_PREFIX)
    ):
        raise InvalidEntryError(
            "a role is team_manager, service_manager, head_of_service or similar; "
            "give a member of staff their own entry with --user instead of assignee:<user>"
        )
    if not _MAILBOX.match(entry.mailbox):
        raise InvalidEntryError(f"{entry.mailbox!r} is not a mailbox like name@example.org")


async def set_entry(conn: Conn, entry: DirectoryEntry) -> None:
    """Add the entry, or change the mailbox and digest choice of the one with the same key."""
    check_entry(entry)
    await conn.execute(
        """
        INSERT INTO directory_entry (kind, name, role, mailbox, digest)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (kind, name, role)
        DO UPDATE SET mailbox = EXCLUDED.mailbox, digest = EXCLUDED.digest, updated_at = now()
        """,
        entry.kind.value,
        entry.name,
        entry.role or "",
        entry.mailbox,
        entry.digest,
    )


async def remove_entry(conn: Conn, kind: EntryKind, name: str, role: str | None = None) -> bool:
    """Remove the entry; False if there was none."""
    status = await conn.execute(
        "DELETE FROM directory_entry WHERE kind = $1 AND name = $2 AND role = $3",
        kind.value,
        name,
        role or "",
    )
    return bool(status != "DELETE 0")


async def list_entries(conn: Conn) -> list[DirectoryEntry]:
    """Every entry: teams first, then users, each by name and role."""
    rows = await conn.fetch(
        """
        SELECT kind, name, role, mailbox, digest FROM directory_entry
        ORDER BY kind, name, role
        """
    )
    return [
        DirectoryEntry(
            kind=EntryKind(row["kind"]),
            name=row["name"],
            role=row["role"] or None,
            mailbox=row["mailbox"],
            digest=row["digest"],
        )
        for row in rows
    ]


class Directory:
    """A snapshot of the directory, loaded once per dispatch round so a batch reads one table."""

    def __init__(self, entries: list[DirectoryEntry]) -> None:
        self._entries = {(e.kind, e.name, e.role or None): e for e in entries}

    @classmethod
    async def load(cls, conn: Conn) -> Directory:
        return cls(await list_entries(conn))

    def resolve(self, team: str, role: str | None) -> DirectoryEntry | None:
        """The entry an outbox row addressed to (team, role) goes to, by the rules in the module
        docstring; None if there is none."""
        team_inbox = self._entries.get((EntryKind.team, team, None))
        if role is None:
            return team_inbox
        if role.startswith(ASSIGNEE_PREFIX):
            user = role.removeprefix(ASSIGNEE_PREFIX)
            return self._entries.get((EntryKind.user, user, None)) or team_inbox
        own = self._entries.get((EntryKind.team, team, role))
        if own is None and role == EMERGENCY_DUTY:
            return self._entries.get((EntryKind.team, EMERGENCY_DUTY, None))
        return own
