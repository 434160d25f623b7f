"""The idempotency key queries against a real PostgreSQL: a key stands for the body it was first
claimed with, for its caller in its scope, until released."""

from __future__ import annotations

import asyncio

import asyncpg

from store.idempotency_key import claim, release


async def _claim(
    pool: asyncpg.Pool, fingerprint: str, *, caller: str = "c1", key: str = "k"
) -> str:
    async with pool.acquire() as conn:
        return await claim(
            conn, scope="complete/t1", caller=caller, key=key, fingerprint=fingerprint
        )


async def test_a_key_stands_for_the_body_it_was_first_claimed_with(pool: asyncpg.Pool) -> None:
    assert await _claim(pool, "body-a") == "body-a"
    assert await _claim(pool, "body-a") == "body-a"  # the same request again
    assert await _claim(pool, "body-b") == "body-a"  # another body: the first one's
    assert await _claim(pool, "body-b", caller="c2") == "body-b"  # another caller's key
    assert await _claim(pool, "body-c", key="k2") == "body-c"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM idempotency_key") == 3


async def test_a_released_key_can_be_claimed_again(pool: asyncpg.Pool) -> None:
    assert await _claim(pool, "body-a") == "body-a"
    async with pool.acquire() as conn:
        await release(conn, scope="complete/t1", caller="c1", key="k", fingerprint="body-b")
    assert await _claim(pool, "body-b") == "body-a"  # only the fingerprint it stands for frees it
    async with pool.acquire() as conn:
        await release(conn, scope="complete/t1", caller="c1", key="k", fingerprint="body-a")
    assert await _claim(pool, "body-b") == "body-b"


async def test_concurrent_claims_agree_on_one_body(pool: asyncpg.Pool) -> None:
    bodies = [f"body-{n}" for n in range(5)]
    answers = await asyncio.gather(*(_claim(pool, body) for body in bodies))
    assert len(set(answers)) == 1 and answers[0] in bodies
