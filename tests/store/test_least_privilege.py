"""Finding 9 of the security review: the processes connect as a member of `frontdoor_app`
(store/migrations/0010_least_privilege.sql), not as the schema's owner. Connected so, an attacker
with the app's credentials cannot turn off the audit trails' triggers nor delete or rewrite them;
the app's own writes, disposal and re-sealing of the case record still work."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import pytest

from core.sealing import entry_binding
from domain.audit import AuditEvent
from domain.people import PersonKind
from domain.retention import RetentionSchedule
from store import case_entry, disposal
from store.access_event import case_accesses, record_access
from store.audit_event import insert_audit_event, list_audit_events
from store.roles import APP_ROLE, ensure_app_login, login_user, too_privileged, with_login
from tests.store import people_factory as pf
from tests.store.record_factory import make_case, sealer_for_tests


@pytest.fixture
async def app_conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the test's database as a fresh login role made as `frontdoor migrate`
    makes it."""
    login = f"frontdoor_test_app_{uuid.uuid4().hex[:10]}"
    app_url = with_login(database_url, login, secrets.token_urlsafe(12))
    owner = await asyncpg.connect(database_url)
    try:
        assert login_user(app_url) == login
        assert await ensure_app_login(owner, app_url) == login
        assert await ensure_app_login(owner, app_url) == login  # again: nothing to do
        assert await ensure_app_login(owner, database_url) is None  # the owner itself
        conn = await asyncpg.connect(app_url)
        try:
            yield conn
        finally:
            await conn.close()
    finally:
        await owner.execute(f'DROP OWNED BY "{login}"; DROP ROLE "{login}"')
        await owner.close()


async def _access(conn: asyncpg.Connection, referral_id: uuid.UUID) -> None:
    await record_access(
        conn, user_id="sw.smith", roles=["practitioner"], agency=None, method="GET",
        route="/referrals/{referral_id}", referral_id=referral_id, task_id=None, status=200,
        client_ip="127.0.0.1",
    )  # fmt: skip


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE access_event DISABLE TRIGGER access_event_append_only",
        "ALTER TABLE audit_event DISABLE TRIGGER ALL",
        "DELETE FROM audit_event",
        "DELETE FROM access_event",
        "UPDATE access_event SET user_id = 'someone-else'",
        "TRUNCATE audit_event",
        "TRUNCATE case_entry",
        "DROP TABLE notification",
        "CREATE TABLE loot (x text)",
        "SELECT * FROM schema_migration",
        "UPDATE person_match SET score = 1",
        "UPDATE place SET kind = 'park'",
        "DELETE FROM person_access",
    ],
)
async def test_the_app_role_cannot_undo_the_audit_or_the_schema(
    app_conn: asyncpg.Connection, statement: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute(statement)


async def test_a_login_with_more_than_the_app_role_is_told_apart(
    app_conn: asyncpg.Connection, pool: asyncpg.Pool
) -> None:
    assert await too_privileged(app_conn) is None
    async with pool.acquire() as conn:  # the tests' own login: the server's superuser
        assert await too_privileged(conn) == "a superuser"


async def test_the_app_role_does_its_normal_writes(app_conn: asyncpg.Connection) -> None:
    assert await app_conn.fetchval("SELECT pg_has_role(current_user, $1, 'MEMBER')", APP_ROLE)
    assert not await app_conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    sealer = sealer_for_tests()
    case = await make_case(app_conn, sealer)  # referral and case_entry rows
    await _access(app_conn, case.referral_id)
    assert len(await case_accesses(app_conn, case.referral_id)) == 1
    event = AuditEvent(
        workflow_id=case.workflow_id, step_key="screening/done", kind="task_completed",
        actor="sw.smith", occurred_at=datetime.now(UTC), details={},
    )  # fmt: skip
    assert (await insert_audit_event(app_conn, event)).created
    assert [e.step_key for e in await list_audit_events(app_conn, case.workflow_id)] == [
        "screening/done"
    ]

    # The child's people and links, which disposal deletes too.
    child = await pf.person(app_conn, sealer, "Sam Example", cases=((case.referral_id, "subject"),))
    adult = await pf.person(app_conn, sealer, "Jo Example", kind=PersonKind.adult,
                            cases=((case.referral_id, "household"),))  # fmt: skip
    await pf.decide(app_conn, child, adult)
    await pf.link(app_conn, sealer, case.referral_id, await pf.adult(app_conn, sealer, adult))
    await pf.link(app_conn, sealer, case.referral_id, await pf.place(app_conn, sealer))
    await pf.link(app_conn, sealer, case.referral_id, await pf.peer_group(app_conn, sealer))

    # Re-sealing (after a key rotation) rewrites a body; disposal deletes the entries.
    [entry, *_] = await app_conn.fetch(
        "SELECT entry_id FROM case_entry WHERE referral_id = $1", case.referral_id
    )
    resealed = sealer.seal(
        b'{"concern": "again"}', bound_to=entry_binding(case.workflow_id, "intake")
    )
    async with app_conn.transaction():
        await case_entry.reseal(app_conn, entry["entry_id"], resealed)
    async with app_conn.transaction():
        done = await disposal.dispose(
            app_conn, case.referral_id, RetentionSchedule(), date(2026, 6, 1),
            actor="records.officer", at=datetime.now(UTC),
        )  # fmt: skip
    assert done.outcome is disposal.Outcome.disposed and done.entries_deleted == 2
    assert (done.people_deleted, done.links_deleted, done.entities_deleted) == (2, 3, 3)
    assert await pf.counts(app_conn) == dict.fromkeys(await pf.counts(app_conn), 0)
    # ... but outside those, the case record stays append-only for the app too.
    other = await make_case(app_conn, sealer)
    with pytest.raises(asyncpg.RaiseError, match="case_entry"):
        await app_conn.execute("DELETE FROM case_entry WHERE referral_id = $1", other.referral_id)
