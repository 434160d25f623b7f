"""Benchmark of the performance framework's queries (store/performance/) on synthetic data.

Fills a fresh database with N synthetic referrals received over the last D days, their tasks and
agency checks (all in SQL with generate_series), runs VACUUM ANALYZE, then times each measure
over the last year (one-year window ending today, London time) several times and prints the
median. The database is created on the server FRONTDOOR_DATABASE_URL points at (dropped at the
end), or on an embedded PostgreSQL (pgserver) in a temporary folder.

    uv run python bench/performance_queries.py --referrals 50000 --days 365
    uv run python bench/performance_queries.py --referrals 1000000 --days 730

The numbers are made up but shaped like a front door: RAG 15/45/40 %, outcomes, late decisions,
3 or 4 agency checks a referral, visits with the child not seen, 22.6 % re-referrals, and the
newest referrals still open (some of their tasks overdue).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from cli.embedded import EmbeddedPostgres
from domain.calendar import LONDON
from domain.measures import Period
from store.migrate import apply_migrations
from store.performance.report import MEASURES
from store.performance.scope import Scope, reading

# $1 now, $2 days, $3 referrals. Each CTE step derives the next milestone from the last; a
# milestone later than now has not happened yet (NULL), and nothing after it either.
FILL_REFERRALS = """
WITH g AS (
    SELECT i, $1::timestamptz - ($2::float8 * ($3 - i) / $3) * interval '1 day' AS received_at,
           random() AS u_rag, random() AS u_dec, random() AS u_out, random() AS u_str,
           random() AS u_vis, random() AS u_rr, random() AS u_src
    FROM generate_series(1, $3) AS i
), c AS (
    SELECT g.*,
           CASE WHEN u_rag < .15 THEN 'red' WHEN u_rag < .60 THEN 'amber' ELSE 'green' END AS rag,
           CASE WHEN u_out < .30 THEN 'nfa' WHEN u_out < .50 THEN 'advice'
                WHEN u_out < .70 THEN 'early_help' WHEN u_out < .88 THEN 'assessment'
                WHEN u_out < .97 THEN 'strategy_discussion' ELSE 'immediate_protection' END
               AS outcome,
           received_at + interval '1 hour' * (0.2 + u_rag) AS screened_raw
    FROM g
), d AS (
    SELECT c.*,
           received_at + CASE rag WHEN 'red' THEN interval '4 hours'
               WHEN 'amber' THEN interval '1 day' ELSE interval '3 days' END AS decision_due_at,
           received_at + CASE rag WHEN 'red' THEN interval '4 hours'
               WHEN 'amber' THEN interval '1 day' ELSE interval '3 days' END
               * (0.2 + 1.2 * u_dec) AS decided_raw
    FROM c
), e AS (
    SELECT d.*, CASE WHEN decided_raw <= $1 THEN decided_raw END AS decided_at,
           CASE WHEN screened_raw <= $1 THEN screened_raw END AS screened_at
    FROM d
), f AS (
    SELECT e.*,
           CASE WHEN decided_at IS NOT NULL
                AND outcome IN ('strategy_discussion', 'immediate_protection')
                THEN CASE WHEN u_str < .60 THEN 'section_47'
                          WHEN u_str < .85 THEN 'assessment' ELSE 'nfa' END END AS strat,
           decided_at + CASE outcome WHEN 'immediate_protection' THEN interval '2 hours'
               ELSE interval '1 day' END AS strategy_due_at,
           decided_at + interval '30 hours' * u_str AS held_raw
    FROM e
), h AS (
    SELECT f.*, CASE WHEN strat IS NOT NULL AND held_raw <= $1 THEN held_raw END AS held_at
    FROM f
), v AS (
    SELECT h.*,
           CASE WHEN outcome = 'assessment' THEN decided_at + interval '7 days'
                WHEN strat = 'section_47' OR outcome = 'immediate_protection'
                    THEN held_at + interval '24 hours'
                WHEN strat = 'assessment' THEN held_at + interval '7 days' END AS visit_due_at
    FROM h
), w AS (
    SELECT v.*, CASE WHEN visit_due_at - (interval '8 days' * (0.9 - u_vis)) <= $1
                     THEN visit_due_at - (interval '8 days' * (0.9 - u_vis)) END AS seen_raw
    FROM v
), x AS (
    SELECT w.*, CASE WHEN visit_due_at IS NOT NULL THEN seen_raw END AS child_seen_at,
           CASE WHEN decided_at IS NULL THEN NULL
                WHEN strat IS NULL AND outcome IN ('strategy_discussion', 'immediate_protection')
                    THEN NULL
                WHEN visit_due_at IS NOT NULL THEN seen_raw + interval '1 minute'
                WHEN strat IS NOT NULL THEN held_at + interval '1 minute'
                ELSE decided_at + interval '2 minutes' END AS closed_raw
    FROM w
)
INSERT INTO referral (
    referral_id, workflow_id, policy_version, received_at, source_code, stage, rag, re_referral,
    escalation_level, outcome, strategy_outcome, screening_due_at, screened_at, checks_due_at,
    mash_decision_due_at, mash_decided_at, referrer_feedback_due_at, referrer_told_at,
    strategy_due_at, strategy_held_at, visit_due_at, child_seen_at, closed_at, next_due_at,
    revision, deadlines, milestones, recorded_at, referral_at, referral_decided_at,
    acknowledgement_due_at, acknowledged_at)
SELECT md5('r' || i)::uuid, 'referral-' || md5('r' || i)::uuid, 'england-2023', received_at,
       (ARRAY['1A', '2A', '3A', '3E', '5A', '6', '8', '9'])[1 + floor(u_src * 8)::int],
       CASE WHEN closed_raw <= $1 THEN 'closed' WHEN decided_at IS NULL THEN 'decision'
            WHEN strat IS NULL AND held_at IS NULL AND strategy_due_at IS NOT NULL
                AND outcome IN ('strategy_discussion', 'immediate_protection')
                THEN 'strategy_discussion'
            ELSE 'visit' END,
       rag, u_rr < .226, CASE WHEN decided_raw > decision_due_at THEN 1 ELSE 0 END,
       CASE WHEN decided_at IS NOT NULL THEN outcome END, strat,
       received_at + interval '2 hours', screened_at, screened_at + interval '6 hours',
       decision_due_at, decided_at, decided_at + interval '1 day', decided_at + interval '1 minute',
       CASE WHEN outcome IN ('strategy_discussion', 'immediate_protection')
            THEN strategy_due_at END,
       held_at, visit_due_at, child_seen_at,
       CASE WHEN closed_raw <= $1 THEN closed_raw END,
       CASE WHEN closed_raw IS NULL OR closed_raw > $1
            THEN coalesce(CASE WHEN decided_at IS NULL THEN decision_due_at END, visit_due_at,
                          strategy_due_at) END,
       5,
       jsonb_build_object('screening', received_at + interval '2 hours',
                          'mash_decision', decision_due_at, 'visit', visit_due_at),
       jsonb_strip_nulls(jsonb_build_object('screened', screened_at, 'mash_decided', decided_at,
                                            'child_seen', child_seen_at)),
       -- Recorded a few minutes to a day after receipt; a decision other than nfa, advice and
       -- early help made the referral and decided its response at once; acknowledged within
       -- about two working days of receipt (one working day due) once that time has come.
       received_at + interval '1 minute' * floor(u_src * u_src * 1440),
       CASE WHEN outcome NOT IN ('nfa', 'advice', 'early_help') THEN decided_at END,
       CASE WHEN outcome NOT IN ('nfa', 'advice', 'early_help') THEN decided_at END,
       received_at + interval '1 day',
       CASE WHEN received_at + interval '2 days' * u_vis <= $1
            THEN received_at + interval '2 days' * u_vis END
FROM x
"""

# Screening, agency checks (3 or 4), decision and visit tasks (one more, not seen, for 1 in 10
# visits), open and overdue where their referral is still waiting on them.
FILL_TASKS = """
INSERT INTO task (task_id, referral_id, workflow_id, step_key, kind, team, agency, status,
                  due_at, escalation_level, opened_at, closed_at, summary, referral_received_at)
SELECT md5(r.referral_id::text || t.key)::uuid, r.referral_id, r.workflow_id, 'task/' || t.key,
       t.kind, t.team, t.agency, t.status, t.due_at, t.level, t.opened_at, t.closed_at, t.summary,
       r.received_at
FROM referral r
CROSS JOIN LATERAL (
    SELECT 'screening' AS key, 'screening' AS kind, 'front_door_practitioners' AS team,
           NULL::text AS agency, 'completed' AS status, r.screening_due_at AS due_at, 0 AS level,
           r.received_at AS opened_at, r.screened_at AS closed_at, '{}'::jsonb AS summary
    UNION ALL
    SELECT 'check/' || a.n, 'agency_check', 'agency:' || a.agency, a.agency,
           CASE WHEN r.mash_decided_at IS NULL THEN 'open' ELSE 'completed' END, r.checks_due_at,
           0, r.screened_at, r.mash_decided_at, '{}'::jsonb
    FROM unnest(ARRAY['police', 'health', 'education', 'csc_records']) WITH ORDINALITY
             AS a(agency, n)
    WHERE r.screened_at IS NOT NULL AND (a.n < 4 OR r.rag = 'red')
    UNION ALL
    SELECT 'decision', 'decision', 'front_door_managers', NULL,
           CASE WHEN r.mash_decided_at IS NULL THEN 'open' ELSE 'completed' END,
           r.mash_decision_due_at, r.escalation_level, r.received_at, r.mash_decided_at,
           jsonb_build_object('outcome', r.outcome)
    WHERE r.screened_at IS NOT NULL
    UNION ALL
    SELECT 'visit/' || v.n, 'visit', 'front_door_practitioners', NULL,
           CASE WHEN v.n = 1 AND r.child_seen_at IS NULL THEN 'open' ELSE 'completed' END,
           r.visit_due_at, CASE WHEN v.n = 2 THEN 1 ELSE 0 END, coalesce(r.strategy_held_at,
           r.mash_decided_at), CASE WHEN v.n = 1 THEN r.child_seen_at ELSE r.visit_due_at END,
           CASE WHEN v.n = 2 THEN '{"child_seen": false, "not_seen_reason": "no_access"}'::jsonb
                WHEN r.child_seen_at IS NOT NULL THEN '{"child_seen": true}'::jsonb
                ELSE '{}'::jsonb END
    FROM generate_series(1, 2) AS v(n)
    WHERE r.visit_due_at IS NOT NULL AND (v.n = 1 OR hashtext(r.workflow_id) % 10 = 0)
) t
"""

FILL_CHECKS = """
INSERT INTO agency_check (task_id, workflow_id, referral_id, agency, requested_at, due_at,
                          returned_at, on_time, status, referral_received_at)
SELECT t.task_id, t.workflow_id, t.referral_id, t.agency, t.opened_at, t.due_at, t.closed_at,
       CASE WHEN t.closed_at IS NOT NULL THEN t.closed_at <= t.due_at END, t.status,
       t.referral_received_at
FROM task t
WHERE t.kind = 'agency_check'
"""


def say(line: str) -> None:
    """The benchmark's output (a script, not the service: no structured logging)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def fill(conn: asyncpg.Connection, referrals: int, days: float, now: datetime) -> None:
    """Migrate and fill the benchmark database."""
    await apply_migrations(conn)
    await conn.execute("SET maintenance_work_mem = '256MB'")
    for name, sql, args in (
        ("referrals", FILL_REFERRALS, (now, days, referrals)),
        ("tasks", FILL_TASKS, ()),
        ("agency checks", FILL_CHECKS, ()),
    ):
        started = time.perf_counter()
        status = await conn.execute(sql, *args)
        say(f"filled {name}: {status.split()[-1]} rows in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    await conn.execute("VACUUM ANALYZE")
    say(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    # Index-only scans skip the heap only for pages the visibility map marks all-visible, as
    # autovacuum keeps them in service; say how much of each table is, so a run can be judged.
    visible = await conn.fetch(
        "SELECT relname, relallvisible::float8 / greatest(relpages, 1) AS share FROM pg_class"
        " WHERE relname IN ('referral', 'task', 'agency_check') ORDER BY relname"
    )
    say("all-visible: " + ", ".join(f"{r['relname']} {r['share']:.0%}" for r in visible))


def machine() -> str:
    """The CPU model, core count and memory, for the record."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return f"{os.cpu_count()} cores, {cpu}{memory}, {platform.system()} {platform.release()}"


async def time_measures(conn: asyncpg.Connection, scope: Scope, runs: int) -> dict[str, float]:
    """The median wall time of each measure over `runs` runs (after one warm-up run), in ms."""
    medians: dict[str, float] = {}
    for name, measure in MEASURES.items():
        samples: list[float] = []
        for run in range(runs + 1):
            async with reading(conn):
                started = time.perf_counter()
                await measure(conn, scope)
                elapsed = (time.perf_counter() - started) * 1000
            if run:  # the first run warms the cache and the prepared statement
                samples.append(elapsed)
        medians[name] = statistics.median(samples)
    return medians


async def run(referrals: int, days: float, runs: int, server_dsn: str) -> None:
    name = f"frontdoor_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        dsn = urlunsplit(urlsplit(server_dsn)._replace(path=f"/{name}"))
        conn = await asyncpg.connect(dsn)
        try:
            now = datetime.now(UTC)
            await fill(conn, referrals, days, now)
            today = now.astimezone(LONDON).date()
            period = Period(today - timedelta(days=364), today)
            in_window = await conn.fetchval(
                "SELECT count(*) FROM referral WHERE received_at >= $1 AND received_at < $2",
                period.lower,
                period.upper,
            )
            size = await conn.fetchval(
                "SELECT pg_size_pretty(pg_database_size(current_database()))"
            )
            version = await conn.fetchval("SHOW server_version")
            say(
                f"PostgreSQL {version}, database {size}; window {period.start}..{period.end} "
                f"holds {in_window} referrals; median of {runs} runs:"
            )
            say(f"machine: {machine()}")
            results = await time_measures(conn, Scope(period=period, team=None, now=now), runs)
            # Other work on the machine moves every figure: say how busy it was.
            say("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
            for measure, ms in results.items():
                say(f"  {measure:<20} {ms:8.1f} ms")
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=50_000)
    parser.add_argument("--days", type=float, default=365, help="received over the last D days")
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    configured = os.environ.get("FRONTDOOR_DATABASE_URL")
    if configured:
        await run(options.referrals, options.days, options.runs, configured)
        return
    with tempfile.TemporaryDirectory(prefix="frontdoor-bench-") as folder:
        embedded = EmbeddedPostgres(Path(folder) / "pg")
        try:
            await run(options.referrals, options.days, options.runs, await embedded.start())
        finally:
            embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
