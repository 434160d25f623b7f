"""Who has signed in: every authenticated request notes its caller in `staff` (their name, roles,
agency and teams as the token says), cheaply: at most once per user every few minutes, or at
once when what the token says changed. Assignment reads it (api/routes/tasks.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import asyncpg

from api.auth import User
from store import staff as staff_store

REFRESH_SECONDS = 300.0


@dataclass
class StaffSightings:
    """The last time this process wrote each caller, and what it wrote."""

    refresh_seconds: float = REFRESH_SECONDS
    _written: dict[str, tuple[float, User]] = field(default_factory=dict)

    async def saw(self, pool: asyncpg.Pool, user: User) -> None:
        now = time.monotonic()
        last = self._written.get(user.user_id)
        if last is not None and last[1] == user and now - last[0] < self.refresh_seconds:
            return
        async with pool.acquire() as conn:
            await staff_store.saw(
                conn,
                user_id=user.user_id,
                name=user.name,
                roles=[role.value for role in user.roles],
                agency=user.agency.value if user.agency else None,
                teams=sorted(user.teams),
            )
        if len(self._written) > 10_000:  # bounded: a process sees a council's staff, not more
            self._written.clear()
        self._written[user.user_id] = (now, user)
