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
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import asyncpg

from api.models.people import PersonQuery
from api.people import Keyer, record_forms, search
from bench.performance_queries import machine, say
from cli.embedded import EmbeddedPostgres
from core.sealing import RecordSealer
from domain.people import MATCH_THRESHOLD, AddressEntry, PersonKind, PersonRecord
from store.migrate import apply_migrations
from store.person import person_binding
from store.pool import create_pool

GIVEN = [
    "jayden",
    "oliver",
    "noah",
    "mia",
    "amelia",
    "isla",
    "ava",
    "olivia",
    "leo",
    "jack",
    "harry",
    "george",
    "charlie",
    "freddie",
    "arthur",
    "theo",
    "oscar",
    "archie",
    "muhammad",
    "mohammed",
    "ali",
    "omar",
    "yusuf",
    "aisha",
    "fatima",
    "maryam",
    "zara",
    "layla",
    "sofia",
    "grace",
    "lily",
    "ella",
    "emily",
    "poppy",
    "ivy",
    "evie",
    "sophie",
    "chloe",
    "ruby",
    "daisy",
    "alfie",
    "henry",
    "thomas",
    "james",
    "william",
    "joshua",
    "daniel",
    "samuel",
    "joseph",
    "lucas",
    "mason",
    "logan",
    "ethan",
    "jacob",
    "riley",
    "kai",
    "tyler",
    "kian",
    "connor",
    "callum",
    "liam",
    "sean",
    "shaun",
    "ryan",
    "dylan",
    "aaron",
    "adam",
    "nathan",
    "jordan",
    "kayden",
    "jaiden",
    "brandon",
    "reece",
    "jamie",
    "lewis",
    "amir",
    "hamza",
    "ibrahim",
    "zain",
    "ayaan",
    "aarav",
    "arjun",
    "rohan",
    "priya",
    "anaya",
    "ananya",
    "kiran",
    "nia",
    "zainab",
    "amara",
    "chantelle",
    "shanice",
    "tanisha",
    "jade",
    "kayla",
    "leah",
    "megan",
    "holly",
    "hannah",
    "bethany",
    "courtney",
    "jasmine",
    "skye",
    "katie",
    "caitlin",
    "niamh",
    "siobhan",
    "aoife",
    "ciara",
    "erin",
    "orla",
    "roisin",
    "sinead",
    "tadhg",
    "oisin",
    "cian",
    "darragh",
    "kacper",
    "jakub",
    "szymon",
    "filip",
    "oliwia",
    "zuzanna",
    "julia",
    "maja",
    "lena",
    "hanna",
    "alexandru",
    "andrei",
    "ionut",
    "elena",
    "ioana",
    "maria",
    "ana",
    "mateo",
    "diego",
    "santiago",
    "lucia",
    "valentina",
    "camila",
]
FAMILY = [
    "smith",
    "jones",
    "williams",
    "taylor",
    "brown",
    "davies",
    "evans",
    "wilson",
    "thomas",
    "johnson",
    "roberts",
    "robinson",
    "thompson",
    "wright",
    "walker",
    "white",
    "edwards",
    "hughes",
    "green",
    "hall",
    "lewis",
    "harris",
    "clarke",
    "patel",
    "jackson",
    "wood",
    "turner",
    "martin",
    "cooper",
    "hill",
    "ward",
    "morris",
    "moore",
    "clark",
    "lee",
    "king",
    "baker",
    "harrison",
    "morgan",
    "allen",
    "james",
    "scott",
    "phillips",
    "watson",
    "davis",
    "parker",
    "price",
    "bennett",
    "young",
    "griffiths",
    "mitchell",
    "kelly",
    "cook",
    "carter",
    "richardson",
    "bailey",
    "collins",
    "bell",
    "shaw",
    "murphy",
    "miller",
    "cox",
    "richards",
    "khan",
    "marshall",
    "anderson",
    "simpson",
    "ellis",
    "adams",
    "singh",
    "begum",
    "wilkinson",
    "foster",
    "chapman",
    "powell",
    "webb",
    "rogers",
    "gray",
    "mason",
    "ali",
    "hussain",
    "campbell",
    "matthews",
    "owen",
    "palmer",
    "holmes",
    "mills",
    "barnes",
    "knight",
    "lloyd",
    "butler",
    "russell",
    "barker",
    "fisher",
    "stevens",
    "jenkins",
    "murray",
    "dixon",
    "harvey",
    "graham",
    "pearson",
    "ahmed",
    "fletcher",
    "walsh",
    "kaur",
    "gibson",
    "howard",
    "andrews",
    "stewart",
    "elliott",
    "reynolds",
    "saunders",
    "payne",
    "fox",
    "ford",
    "pearce",
    "day",
    "brooks",
    "west",
    "lawrence",
    "cole",
    "atkinson",
    "bradley",
    "spencer",
    "gill",
    "dawson",
    "ball",
    "burton",
    "obrien",
    "watts",
    "rose",
    "booth",
    "perry",
    "ryan",
    "grant",
    "wells",
    "armstrong",
    "francis",
    "rees",
    "hayes",
    "hart",
    "hudson",
    "newman",
    "barrett",
    "webster",
    "hunt",
    "kowalski",
    "nowak",
    "wisniewski",
    "popescu",
    "ionescu",
    "rahman",
    "uddin",
    "chowdhury",
    "miah",
    "islam",
    "nguyen",
    "tran",
    "okafor",
    "adeyemi",
]
STREETS = [
    "high",
    "church",
    "station",
    "victoria",
    "green",
    "manor",
    "park",
    "queens",
    "kings",
    "new",
    "mill",
    "school",
    "grange",
    "windsor",
    "york",
    "albert",
    "mount",
]
KINDS = ["street", "road", "lane", "avenue", "close", "drive", "way"]


def zipf(names: list[str], rng: random.Random) -> str:
    """A name, the commonest a few per cent of all (as Smith is about 1 % in England)."""
    return rng.choices(names, weights=[1 / (rank + 10) for rank in range(len(names))])[0]


def born(rng: random.Random) -> date:
    return date(1960, 1, 1) + timedelta(days=rng.randrange(60 * 365))


def address(rng: random.Random) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    area = f"{rng.choice(letters)}{rng.choice(letters)}{rng.randrange(1, 20)}"
    unit = f"{rng.randrange(1, 10)}{rng.choice(letters)}{rng.choice(letters)}"
    street = f"{rng.choice(STREETS).title()} {rng.choice(KINDS).title()}"
    return f"{rng.randrange(1, 200)} {street}, {area} {unit}"


def generated(rng: random.Random, today: date) -> PersonRecord:
    day = born(rng)
    estimate = rng.random() < 0.1
    return PersonRecord(
        kind=PersonKind.child if day.year >= today.year - 18 else PersonKind.adult,
        name=f"{zipf(GIVEN, rng).title()} {zipf(FAMILY, rng).title()}",
        date_of_birth=None if estimate else day,
        birth_year_estimate=day.year if estimate else None,
        addresses=[AddressEntry(address=address(rng), recorded_on=today)],
    )


def misspelt(name: str, rng: random.Random) -> str:
    words = name.split()
    i = rng.randrange(len(words))
    word = words[i]
    j = rng.randrange(1, len(word))
    change = rng.choice(["drop", "double", "swap", "vowel"])
    if change == "drop" and len(word) > 3:
        word = word[:j] + word[j + 1 :]
    elif change == "swap" and j < len(word) - 1:
        word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    elif change == "vowel":
        vowels = [k for k, c in enumerate(word) if c in "aeiouy" and k > 0]
        if vowels:
            k = rng.choice(vowels)
            word = word[:k] + rng.choice([v for v in "aeiy" if v != word[k]]) + word[k + 1 :]
    else:
        word = word[:j] + word[j] + word[j:]
    words[i] = word
    return " ".join(words)


def near_duplicate(record: PersonRecord, rng: random.Random) -> PersonQuery:
    day = record.date_of_birth
    if day is not None and day.day <= 12 and day.day != day.month:
        day = day.replace(month=day.day, day=day.month)
    return PersonQuery(
        name=misspelt(record.name, rng),
        date_of_birth=day,
        age_estimate_years=None if day else date.today().year - (record.birth_year_estimate or 0),
        address=address(rng),
        limit=5,
    )


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
    q = statistics.quantiles(timings, n=100)
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
