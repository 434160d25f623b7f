"""Idempotency-Key on the API's keyed writes (completions, new information, corrections): a key
belongs to the caller who sent it (two people choosing the same key never meet), and stands for
one body: sent again with the same body it gets the first answer, with another body a 422 naming
the header, as intake does (api/intake.py)."""

from __future__ import annotations

import hashlib

import asyncpg
from pydantic import BaseModel

from api.auth import User
from api.errors import ApiError
from store import idempotency_key as key_store


def caller_tag(user: User) -> str:
    """A short, fixed-alphabet name for the caller, for ids that carry their keys (Temporal
    update ids, step keys): the same for the same user id, different for another."""
    return hashlib.sha256(user.user_id.encode()).hexdigest()[:16]


def fingerprint_of(*parts: BaseModel | str) -> str:
    """What a body is compared by: its canonical JSON."""
    digest = hashlib.sha256()
    for part in parts:
        text = part.model_dump_json() if isinstance(part, BaseModel) else part
        digest.update(text.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


REUSED = ApiError(
    422,
    "invalid_request",
    "this Idempotency-Key was already used for a different request; send a new key",
    [{"field": "Idempotency-Key", "problem": "reused with a different body"}],
)


class KeyedWrite:
    """The claim of one caller's key for one body, in one scope (a task, a case)."""

    def __init__(self, pool: asyncpg.Pool, scope: str, user: User, key: str, fingerprint: str):
        self.pool = pool
        self.scope = scope
        self.caller = caller_tag(user)
        self.key = key
        self.fingerprint = fingerprint

    async def claim(self) -> None:
        """Claim the key for this body; 422 naming the header if it stands for another."""
        async with self.pool.acquire() as conn:
            claimed = await key_store.claim(
                conn,
                scope=self.scope,
                caller=self.caller,
                key=self.key,
                fingerprint=self.fingerprint,
            )
        if claimed != self.fingerprint:
            raise ApiError(REUSED.status_code, REUSED.code, REUSED.message, REUSED.details)

    async def release(self) -> None:
        """Free the key when the request was refused before anything was applied, so it can be
        sent again corrected."""
        async with self.pool.acquire() as conn:
            await key_store.release(
                conn,
                scope=self.scope,
                caller=self.caller,
                key=self.key,
                fingerprint=self.fingerprint,
            )
