"""`frontdoor records hold | lift | holds | dispose | reseal`, run as an operator would, against a
real PostgreSQL: what each prints, what it changes, and what it writes to the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from api.auth import StaffRole
from core.codec import new_key_spec, parse_keys
from core.sealing import RecordSealer, entry_binding
from core.settings import Settings
from domain.people import PersonKind, RelationshipKind
from store.case_entry import entries_of
from store.pool import Conn
from tests.api.conftest import TEST_SECRET, Staff, _api_client
from tests.cli.commands import frontdoor
from tests.conftest import TEST_IDENTIFIER_KEY, TEST_PAYLOAD_KEYS
from tests.store import people_factory as pf
from tests.store.record_factory import Case, make_case, sealer_for_tests

NHS_KEY = "n" * 64
MATCH_KEY = "m" * 64
NOTHING = "0 entries, 0 people, 0 links, 0 linked entities; 0 people kept for other cases"
TWO_ENTRIES = NOTHING.replace("0 entries", "2 entries", 1)


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "FRONTDOOR_DATABASE_URL": database_url,
        "FRONTDOOR_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS.get_secret_value(),
        "FRONTDOOR_IDENTIFIER_KEY": TEST_IDENTIFIER_KEY.get_secret_value(),
        "FRONTDOOR_STATE_DIR": str(tmp_path / "state"),
        "FRONTDOOR_LOG_LEVEL": "WARNING",
    }


async def _records(env: dict[str, str], *args: str) -> str:
    code, output = await frontdoor("records", *args, env=env)
    assert code == 0, output
    return output


async def _snapshot(conn: Conn) -> tuple[object, ...]:
    """Everything disposal could change."""
    return (
        await conn.fetchval("SELECT count(*) FROM case_entry"),
        await conn.fetchval("SELECT count(*) FROM audit_event"),
        [dict(r) for r in await conn.fetch("SELECT * FROM referral ORDER BY referral_id")],
    )


async def test_a_childs_hold_stops_disposal_of_every_referral_until_lifted(
    pool: asyncpg.Pool, env: dict[str, str]
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        # The child's open referral (known by NHS number and name) and an old one by name only.
        current = await make_case(conn, sealer, closed_at=None, nhs=NHS_KEY, match_key=MATCH_KEY)
        old = await make_case(conn, sealer, match_key=MATCH_KEY)

    placed = await _records(
        env, "hold", "--child-of", str(current.referral_id),
        "--reason", "IICSA moratorium", "--by", "records.officer",
    )  # fmt: skip
    assert placed.count(f"on every referral of the child of referral {current.referral_id}") == 2
    hold_ids = [line.split()[2] for line in placed.splitlines()]

    listed = await _records(env, "holds")
    assert all(hold_id in listed for hold_id in hold_ids)
    assert listed.count("IICSA moratorium") == 2 and "by records.officer" in listed

    dry = await _records(env, "dispose", "--dry-run")
    assert f"held          {old.referral_id}  adulthood+3y" in dry
    assert f"dry run: 0 record(s) would be disposed of ({NOTHING}), 1 due but held" in dry

    lifted = await _records(env, "lift", *hold_ids, "--by", "records.manager")
    assert lifted.count("lifted hold") == 2
    assert (await _records(env, "holds")).strip() == "no legal holds in force"
    assert (await _records(env, "holds", "--all")).count("by records.manager") == 2

    disposed = await _records(env, "dispose", "--by", "records.officer")
    assert f"disposed      {old.referral_id}  adulthood+3y  ({TWO_ENTRIES})" in disposed
    assert f"disposed of 1 record(s) ({TWO_ENTRIES}), 0 due but held" in disposed

    async with pool.acquire() as conn:
        trail = await conn.fetch(
            "SELECT kind, actor, details FROM audit_event WHERE workflow_id = $1 ORDER BY event_id",
            current.workflow_id,
        )
    kinds = [(r["kind"], r["actor"]) for r in trail]
    assert (
        kinds
        == [("legal_hold_placed", "records.officer")] * 2
        + [("legal_hold_lifted", "records.manager")] * 2
    )
    for row in trail:
        details = json.loads(row["details"])
        assert str(details["hold_id"]) in hold_ids and details["scope"] == "child"
        assert "IICSA" not in row["details"]  # the free-text reason stays on the hold


async def test_a_referrals_hold_and_the_mistakes_an_operator_can_make(
    pool: asyncpg.Pool, env: dict[str, str]
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case = await make_case(conn, sealer)  # no identifiers of the child
    referral = str(case.referral_id)

    code, output = await frontdoor(
        "records", "hold", "--referral", referral, "--child-of", referral,
        "--reason", "r", "--by", "a", env=env,
    )  # fmt: skip
    assert code == 1 and "give exactly one of --referral or --child-of" in output
    code, output = await frontdoor(
        "records", "hold", "--child-of", referral, "--reason", "r", "--by", "a", env=env
    )
    assert code == 1 and "hold it with --referral" in output

    placed = await _records(
        env, "hold", "--referral", referral, "--reason", "Court order", "--by", "a"
    )
    assert placed.strip() == f"placed hold 1 on referral {referral}"
    assert "held          " in await _records(env, "dispose", "--dry-run")

    code, output = await frontdoor("records", "lift", "1", "99", "--by", "b", env=env)
    assert code == 1 and "hold 99: no such hold; nothing was lifted" in output
    assert "Court order" in await _records(env, "holds")  # still in force
    await _records(env, "lift", "1", "--by", "b")
    code, output = await frontdoor("records", "lift", "1", "--by", "b", env=env)
    assert code == 1 and "hold 1: already lifted" in output


async def test_a_dry_run_lists_what_is_due_and_changes_nothing(
    pool: asyncpg.Pool, env: dict[str, str]
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        due = await make_case(conn, sealer, nhs=NHS_KEY)
        young = await make_case(conn, sealer, adult_on=datetime.now(UTC).date())
        still_open = await make_case(conn, sealer, closed_at=None)
        before = await _snapshot(conn)

    dry = await _records(env, "dispose", "--dry-run")

    async with pool.acquire() as conn:
        assert await _snapshot(conn) == before
    assert f"would dispose {due.referral_id}  adulthood+3y" in dry
    assert str(young.referral_id) not in dry and str(still_open.referral_id) not in dry
    assert dry.splitlines()[-1] == (
        f"dry run: 1 record(s) would be disposed of ({TWO_ENTRIES}), 0 due but held; "
        "nothing changed"
    )

    assert f"disposed of 1 record(s) ({TWO_ENTRIES})" in await _records(env, "dispose")
    again = await _records(env, "dispose")
    assert again.strip() == f"disposed of 0 record(s) ({NOTHING}), 0 due but held"


async def test_dispose_takes_the_childs_people_and_links_and_the_api_no_longer_finds_them(
    pool: asyncpg.Pool, env: dict[str, str], database_url: str
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        case, live = await make_case(conn, sealer), await make_case(conn, sealer, closed_at=None)
        r = case.referral_id
        sam = await pf.person(conn, sealer, "Sam Example", cases=((r, "subject"),))
        alex = await pf.person(conn, sealer, "Alex Example", cases=((live.referral_id, "subject"),))
        households = ((r, "household"), (live.referral_id, "household"))
        mum = await pf.person(conn, sealer, "Jo Example", kind=PersonKind.adult, cases=households)
        for child in (sam, alex):
            await pf.relate(conn, mum, child, RelationshipKind.household, r)
        await pf.link(conn, sealer, r, await pf.place(conn, sealer))
        await pf.link(conn, sealer, r, await pf.adult(conn, sealer, mum))
        before = (await _snapshot(conn), await pf.counts(conn))

    dry = await _records(env, "dispose", "--dry-run")
    async with pool.acquire() as conn:
        assert (await _snapshot(conn), await pf.counts(conn)) == before
    what = "2 entries, 1 people, 2 links, 2 linked entities; 1 people kept for other cases"
    assert f"would dispose {r}  adulthood+3y  ({what})" in dry
    disposed = await _records(env, "dispose", "--by", "records.officer")
    assert f"disposed      {r}  adulthood+3y  ({what})" in disposed
    assert f"disposed of 1 record(s) ({what}), 0 due but held" in disposed

    settings = Settings(
        database_url=database_url, temporal_address="127.0.0.1:1", auth_secret=TEST_SECRET,
        payload_keys=TEST_PAYLOAD_KEYS, dev_mode=True,
    )  # fmt: skip
    staff = Staff(settings)
    officer = staff.headers("rita.records", StaffRole.records_officer)
    async with _api_client(settings) as api:
        gone = await api.get(f"/people/{sam}", headers=staff.practitioner)
        kept = await api.get(f"/people/{mum}", headers=staff.practitioner)
        found = await api.post(
            "/people/search",
            json={"name": "Sam Example", "date_of_birth": "2012-03-04", "nhs_number": "9434765919"},
            headers=staff.practitioner,
        )
        export = await api.get(f"/referrals/{r}/subject-access", headers=officer)

    assert gone.status_code == 404, gone.text
    assert kept.status_code == 200, kept.text
    assert [c["referral_id"] for c in kept.json()["person"]["cases"]] == [str(live.referral_id)]
    assert kept.json()["relatives"] == [{"person_id": str(alex), "kind": "household"}]
    assert found.status_code == 200
    assert str(sam) not in found.text
    assert export.status_code == 410 and export.json()["error"]["code"] == "disposed"


async def _opened(conn: Conn, sealer: RecordSealer, cases: list[Case]) -> dict[str, object]:
    stored = await entries_of(conn, [c.referral_id for c in cases])
    return {
        f"{e.workflow_id}/{e.step_key}": json.loads(
            sealer.open(e.sealed, bound_to=entry_binding(e.workflow_id, e.step_key))
        )
        for e in stored
    }


async def test_reseal_moves_every_entry_to_the_new_key_and_they_still_open(
    pool: asyncpg.Pool, env: dict[str, str]
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        cases = [await make_case(conn, sealer, entries=3) for _ in range(2)]
        written = await _opened(conn, sealer, cases)
    new = new_key_spec("2026-07")
    rotated = {**env, "FRONTDOOR_PAYLOAD_KEYS": f"{new},{TEST_PAYLOAD_KEYS.get_secret_value()}"}

    output = await _records(rotated, "reseal", "--batch", "4")

    assert "batch 1: re-sealed 4 entries (4 so far)" in output
    assert "batch 2: re-sealed 2 entries (6 so far)" in output
    assert "re-sealed 6 entries in 2 batch(es); every entry is under key '2026-07'" in output
    identifier_key = TEST_IDENTIFIER_KEY.get_secret_value().encode()
    only_new = RecordSealer(parse_keys(new), identifier_key)  # the old key is no longer needed
    async with pool.acquire() as conn:
        keys = await conn.fetch("SELECT DISTINCT key_id FROM case_entry")
        assert [r["key_id"] for r in keys] == ["2026-07"]
        assert await _opened(conn, only_new, cases) == written
    again = await _records(rotated, "reseal")
    assert again.strip() == "every record entry is already sealed under key '2026-07'"


async def test_reseal_without_the_old_key_says_which_and_changes_nothing(
    pool: asyncpg.Pool, env: dict[str, str]
) -> None:
    sealer = sealer_for_tests()
    async with pool.acquire() as conn:
        await make_case(conn, sealer)
    lost = {**env, "FRONTDOOR_PAYLOAD_KEYS": new_key_spec("2026-07")}

    code, output = await frontdoor("records", "reseal", env=lost)

    assert code == 1
    assert "'test-1'" in output and "add that key after the current one" in output
    async with pool.acquire() as conn:
        keys = await conn.fetch("SELECT DISTINCT key_id FROM case_entry")
    assert [r["key_id"] for r in keys] == ["test-1"]


async def test_the_commands_need_the_database(env: dict[str, str]) -> None:
    code, output = await frontdoor(
        "records", "holds", env={k: v for k, v in env.items() if k != "FRONTDOOR_DATABASE_URL"}
    )
    assert code == 1 and "set FRONTDOOR_DATABASE_URL" in output
