"""Benchmark of person search (`api.people.search`, what `POST /people/search` and the intake's
open-case check run) over N generated people, and its recall and precision on near-duplicates.

Fills a fresh database (embedded PostgreSQL from pgserver in a temporary folder, or the server
FRONTDOOR_DATABASE_URL points at) with N people (children and adults; Zipf-weighted given and
family names, dates of birth over 60 years, a tenth with only an age estimate), each keyed and
sealed by the real code (domain/people.py forms, core.sealing), written with COPY. Then, for a
sample of them, it makes a near-duplicate a second contact would bring (a misspelt name: a letter
dropped, doubled, swapped or a vowel changed; the day and month swapped where that is a date; a
changed address) and searches for it: p50 and p99 of the search, recall of the top five (the
person is among them), precision of the top five (the share of the five that is the person, at
most 1/5 when five are shown) and precision above the match threshold (the share of candidates
scored as "the same person" that are).

    uv run python -m bench.person_search --people 1000000 --sample 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import date
from functools import lru_cache
from pathlib import Path

import asyncpg

from api.people import Keyer, record_forms, search
from bench.people_data import generated, near_duplicate
from bench.performance_queries import machine, say
from cli.embedded import EmbeddedPostgres
from core.sealing import RecordSealer
from domain.people import MATCH_THRESHOLD, PersonRecord
from store.migrate import apply_migrations
from store.person import person_binding
from store.pool import create_pool


async def fill(
    conn: asyncpg.Connection, sealer: RecordSealer, people: int, seed: int
) -> dict[uuid.UUID, PersonRecord]:
    """N people, by COPY in batches; a sample of them kept to search for."""
    rng, today, keyer = random.Random(seed), date.today(), Keyer(sealer)
    cached_int = lru_cache(maxsize=None)(keyer.key_int)
    cached_text = lru_cache(maxsize=None)(keyer.key_text)
    keyer.key_int, keyer.key_text = cached_int, cached_text  # type: ignore[method-assign]
    kept: dict[uuid.UUID, PersonRecord] = {}
    columns = ("person_id", "kind", "created_by", "birth_year", "birth_year_estimated", "dob_key",
               "nhs_key", "blocks", "name_grams", "address_keys", "key_id", "body")  # fmt: skip
    started, batch = time.perf_counter(), []
    for n in range(people):
        record, person_id = generated(rng, today), uuid.UUID(int=rng.getrandbits(128))
        forms = record_forms(record, keyer)
        sealed = sealer.seal(record.model_dump_json().encode(), bound_to=person_binding(person_id))
        batch.append((
            person_id, record.kind.value, "bench", forms.birth_year, forms.year_estimated,
            next(iter(forms.dob_keys), None), None, sorted(forms.blocks),
            json.dumps([sorted(g) for g in forms.names]), sorted(forms.address), sealed.key_id,
            sealed.body,
        ))  # fmt: skip
        if n % max(people // 2_000, 1) == 0:
            kept[person_id] = record
        if len(batch) == 50_000 or n == people - 1:
            await conn.copy_records_to_table("person", records=batch, columns=columns)
            batch = []
            say(f"  {n + 1:,} people in {time.perf_counter() - started:.0f} s")
    await conn.execute("ANALYZE person")
    return kept


async def run(people: int, sample: int, database_url: str) -> None:
    sealer = RecordSealer({"bench": os.urandom(32)}, os.urandom(32))
    conn = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn)
        kept = await fill(conn, sealer, people, seed=16)
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('person'))")
    finally:
        await conn.close()
    say(f"machine: {machine()}; person table with indexes: {size}")
    rng = random.Random(1)
    targets = rng.sample(sorted(kept, key=str), min(sample, len(kept)))
    timings, found_top5, exact_top5, shown, above, right_above = [], 0, 0, 0, 0, 0
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as c:
            for warm in targets[:20]:
                await search(c, sealer, near_duplicate(kept[warm], rng), date.today(), minimum=0.3)
            for target in targets:
                query = near_duplicate(kept[target], rng)
                began = time.perf_counter()
                top = await search(c, sealer, query, date.today(), minimum=0.3)
                timings.append((time.perf_counter() - began) * 1000)
                ids = [f.person.person_id for f in top]
                found_top5 += target in ids
                exact_top5 += sum(i == target for i in ids)
                shown += len(ids)
                sure = [f for f in top if f.scored.score >= MATCH_THRESHOLD]
                above += len(sure)
                right_above += sum(f.person.person_id == target for f in sure)
    finally:
        await pool.close()
    # Inclusive: a percentile within the timings measured, never beyond the slowest.
    q = statistics.quantiles(timings, n=100, method="inclusive")
    say(f"people: {people:,}; searches: {len(targets)} near-duplicates")
    say(f"search: p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {max(timings):.1f} ms")
    say(f"recall of the top five: {found_top5 / len(targets):.1%}")
    say(f"precision of the top five: {exact_top5 / max(shown, 1):.1%} ({shown} shown)")
    say(
        f"above the match threshold ({MATCH_THRESHOLD}): {above} candidates, precision "
        f"{right_above / max(above, 1):.1%}, recall {right_above / len(targets):.1%}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=500, help="near-duplicates searched for")
    options = parser.parse_args()
    configured = os.environ.get("FRONTDOOR_DATABASE_URL")
    if configured:
        await run(options.people, options.sample, configured)
        return
    with tempfile.TemporaryDirectory(prefix="frontdoor-bench-") as folder:
        embedded = EmbeddedPostgres(Path(folder) / "pg")
        try:
            await run(options.people, options.sample, await embedded.start())
        finally:
            embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
