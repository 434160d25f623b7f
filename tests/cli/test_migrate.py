"""`frontdoor migrate` applies the migrations as the schema's owner and makes the app's login role
(named, with its password, by FRONTDOOR_DATABASE_URL) a member of `frontdoor_app`, so the other
processes can connect as it and as nothing more."""

from __future__ import annotations

import secrets
import uuid

import asyncpg

from store.roles import APP_ROLE, with_login
from tests.cli.commands import frontdoor


async def test_migrate_makes_the_app_login_and_it_connects(empty_database_url: str) -> None:
    login = f"frontdoor_test_login_{uuid.uuid4().hex[:10]}"
    app_url = with_login(empty_database_url, login, secrets.token_urlsafe(12))
    env = {
        "FRONTDOOR_MIGRATE_DATABASE_URL": empty_database_url,
        "FRONTDOOR_DATABASE_URL": app_url,
        "FRONTDOOR_LOG_LEVEL": "WARNING",
    }
    try:
        code, output = await frontdoor("migrate", env=env)
        assert code == 0, output
        assert "applied" in output
        code, output = await frontdoor("migrate", env=env)  # again: nothing to do
        assert (code, output.strip()) == (0, "up to date")

        conn = await asyncpg.connect(app_url)
        try:
            assert await conn.fetchval("SELECT pg_has_role(current_user, $1, 'MEMBER')", APP_ROLE)
            assert await conn.fetchval("SELECT count(*) FROM referral") == 0
        finally:
            await conn.close()
    finally:
        owner = await asyncpg.connect(empty_database_url)
        try:
            await owner.execute(f'DROP OWNED BY "{login}"; DROP ROLE IF EXISTS "{login}"')
        finally:
            await owner.close()
