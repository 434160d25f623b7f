"""Benchmark of reading a closed case from the case record (`api.record.case_view`, what
`GET /referrals/{id}` answers once the workflow has left Temporal) in a record of N cases.

Fills a fresh database (embedded PostgreSQL from pgserver in a temporary folder, or the server
FRONTDOOR_DATABASE_URL points at; dropped at the end) in SQL with N closed referrals, their
tasks, case record entries and audit trail (bench/record_fill.py). For a sample of them it
writes the entries through the real code (`activities.record.CaseRecord`, sealed with
`core.sealing`) with bodies shaped as staff write them, so they open. Then it reads each sampled
case once after a warm-up on other sampled cases (first read: the case's pages are not in
PostgreSQL's buffers) and once more (repeat read), and prints percentiles, table sizes and row
counts, and the plans of the five queries of one read.

    uv run python -m bench.record_read --referrals 1000000 --sample 500
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from pydantic import SecretStr

from api.record import case_view
from bench.performance_queries import machine, say
from bench.record_fill import FILL_AUDIT, FILL_ENTRIES, FILL_REFERRALS, FILL_TASKS
from bench.record_sample import write_sample
from cli.embedded import EmbeddedPostgres
from core.codec import new_key_spec
from core.sealing import RecordSealer, record_sealer
from core.settings import Settings
from store.migrate import apply_migrations
from store.pool import create_pool

TABLES = ("referral", "task", "case_entry", "audit_event")


async def step(conn: asyncpg.Connection, name: str, sql: str, *args: object) -> None:
    started = time.perf_counter()
    status = await conn.execute(sql, *args)
    say(f"filled {name}: {status.split()[-1]} rows in {time.perf_counter() - started:.1f} s")


async def fill(
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    sealer: RecordSealer,
    referrals: int,
    sample: list[uuid.UUID],
) -> None:
    await apply_migrations(conn)
    await conn.execute("SET maintenance_work_mem = '256MB'; SET synchronous_commit = off")
    await step(
        conn,
        "referrals",
        FILL_REFERRALS,
        datetime.now(UTC),
        3 * 365.0,
        referrals,
        int(referrals * 0.8),
    )
    await step(conn, "tasks", FILL_TASKS)
    await conn.execute("CREATE TEMP TABLE bench_sample (referral_id uuid PRIMARY KEY)")
    await conn.executemany("INSERT INTO bench_sample VALUES ($1)", [(r,) for r in sample])
    await step(conn, "case entries (filler)", FILL_ENTRIES)
    started = time.perf_counter()
    await write_sample(pool, sealer, sample)
    say(f"wrote the sample's entries (sealed) in {time.perf_counter() - started:.1f} s")
    await step(conn, "audit events", FILL_AUDIT)
    started = time.perf_counter()
    await conn.execute("VACUUM ANALYZE")
    say(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")


def percentiles(label: str, ms: Sequence[float]) -> None:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    say(
        f"  {label:<13} p50 {cuts[49]:6.1f}  p95 {cuts[94]:6.1f}  p99 {cuts[98]:6.1f}"
        f"  max {max(ms):6.1f} ms  (n={len(ms)})"
    )


async def read_all(pool: asyncpg.Pool, sealer: RecordSealer, ids: list[uuid.UUID]) -> list[float]:
    times = []
    for referral_id in ids:
        started = time.perf_counter()
        await case_view(pool, sealer, referral_id, None)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def explain(conn: asyncpg.Connection, referral_id: uuid.UUID) -> None:
    """The plans of the queries one read runs (the SQL of store/, copied here with the case's
    values filled in, so each plan is the one PostgreSQL chooses for this case)."""
    row = await conn.fetchrow("SELECT * FROM referral WHERE referral_id = $1", referral_id)
    assert row is not None
    queries = {
        "get_referral": ("SELECT * FROM referral WHERE referral_id = $1", referral_id),
        "tasks_of_referral": (
            "SELECT * FROM task WHERE referral_id = $1 ORDER BY opened_at, task_id",
            referral_id,
        ),
        "list_audit_events": (
            "SELECT * FROM audit_event WHERE workflow_id = $1 ORDER BY occurred_at, event_id",
            row["workflow_id"],
        ),
        "find_earlier_referrals": (
            "SELECT referral_id FROM referral WHERE referral_id <> $1 AND received_at < $2"
            " AND received_at >= $2 - make_interval(days => 365)"
            " AND (child_nhs_number = $3 OR child_match_key = $4)"
            " ORDER BY received_at DESC, referral_id",
            referral_id,
            row["received_at"],
            row["child_nhs_number"],
            row["child_match_key"],
        ),
        "entries_of": (
            "SELECT * FROM case_entry WHERE referral_id = ANY($1::uuid[])"
            " ORDER BY occurred_at, entry_id",
            [referral_id],
        ),
    }
    for name, (sql, *args) in queries.items():
        plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
        say(f"EXPLAIN ANALYZE {name}:")
        for line in plan:
            say("    " + line[0])


async def report(conn: asyncpg.Connection) -> None:
    size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    say(f"PostgreSQL {await conn.fetchval('SHOW server_version')}, database {size}")
    for table in TABLES:
        count = await conn.fetchval(f"SELECT count(*) FROM {table}")
        sizes = await conn.fetchrow(
            "SELECT pg_size_pretty(pg_table_size($1)) AS heap,"
            " pg_size_pretty(pg_indexes_size($1)) AS indexes",
            table,
        )
        assert sizes is not None
        heap, indexes = sizes["heap"], sizes["indexes"]
        say(f"  {table:<12} {count:>11,} rows  table {heap:>8}  indexes {indexes:>8}")


async def settle(at_most: float) -> None:
    """Wait (up to `at_most` seconds) for the machine to go quiet: the build's own work, and
    anyone else's, moves every figure."""
    waited, started = 0.0, time.monotonic()
    while os.getloadavg()[0] >= 0.8 and waited < at_most:
        await asyncio.sleep(5)
        waited = time.monotonic() - started
    say(f"waited {waited:.0f} s for a quiet machine; load average {os.getloadavg()[0]:.2f}")


async def run(
    referrals: int, sample_size: int, warmup: int, settle_for: float, server_dsn: str
) -> None:
    name = f"frontdoor_bench_{uuid.uuid4().hex[:8]}"
    step_ = max(1, referrals // (sample_size + warmup))
    sample = [
        uuid.UUID(hashlib.md5(f"r{i}".encode()).hexdigest())
        for i in range(step_, referrals + 1, step_)
    ][: sample_size + warmup]
    keys = Settings(
        payload_keys=SecretStr(new_key_spec("bench-1")),
        identifier_key=SecretStr("bench-identifier-key-0123456789abcdef"),
    )
    sealer = record_sealer(keys)
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        dsn = urlunsplit(urlsplit(server_dsn)._replace(path=f"/{name}"))
        conn = await asyncpg.connect(dsn)
        pool = await create_pool(dsn, min_size=1, max_size=2)
        try:
            started = time.perf_counter()
            await fill(conn, pool, sealer, referrals, sample)
            say(f"database built in {time.perf_counter() - started:.0f} s")
            await report(conn)
            say(f"machine: {machine()}")
            await settle(settle_for)
            await read_all(pool, sealer, sample[:warmup])  # connections, statements, code paths
            first = await read_all(pool, sealer, sample[warmup:])
            load = os.getloadavg()
            again = await read_all(pool, sealer, sample[warmup:])
            say(f"case_view of {len(first)} closed cases (ms), after {warmup} warm-up reads:")
            percentiles("first read", first)
            percentiles("repeat read", again)
            say("load average while reading (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in load))
            # A case no read has touched: what a read costs when its pages are not in buffers.
            await explain(conn, uuid.UUID(hashlib.md5(f"r{step_ // 2}".encode()).hexdigest()))
        finally:
            await pool.close()
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=500, help="cases read and timed")
    parser.add_argument("--warmup", type=int, default=50, help="other cases read first")
    parser.add_argument("--settle", type=float, default=600, help="wait at most S s for load < 0.8")
    options = parser.parse_args()
    figures = (options.referrals, options.sample, options.warmup, options.settle)
    configured = os.environ.get("FRONTDOOR_DATABASE_URL")
    if configured:
        await run(*figures, configured)
        return
    with tempfile.TemporaryDirectory(prefix="frontdoor-bench-") as folder:
        embedded = EmbeddedPostgres(Path(folder) / "pg")
        try:
            await run(*figures, await embedded.start())
        finally:
            embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
