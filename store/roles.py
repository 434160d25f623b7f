"""PostgreSQL roles: the app's login role, a member of `frontdoor_app` (the grants of
store/migrations/0010_least_privilege.sql), made by the schema's owner after migrating.

The worker, the API, the notifier and the engineers' commands connect with FRONTDOOR_DATABASE_URL
as that login role; `frontdoor migrate` connects as the owner (FRONTDOOR_MIGRATE_DATABASE_URL).
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg

from core.logs import get_logger
from store.migrate import apply_migrations
from store.pool import Conn

log = get_logger(__name__)

APP_ROLE = "frontdoor_app"
APP_LOGIN = "frontdoor_app_login"
"""The login role `frontdoor dev` and docker-compose.yml give the processes."""


def with_login(dsn: str, user: str, password: str) -> str:
    """`dsn` with its user and password replaced (host, port, database and options kept)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))


def login_user(dsn: str) -> str | None:
    """The user a DSN logs in as, if it names one."""
    user = urlsplit(dsn).username
    return unquote(user) if user else None


async def ensure_app_login(owner: Conn, app_dsn: str) -> str | None:
    """Make the login role `app_dsn` names a member of `frontdoor_app`, creating it (with the
    DSN's password) if it does not exist; return its name, or None when `app_dsn` logs in as the
    owner itself (a single-role setup, left as it is)."""
    user = login_user(app_dsn)
    if user is None or user == await owner.fetchval("SELECT current_user"):
        return None
    if not await owner.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user):
        password = unquote(urlsplit(app_dsn).password or "")
        # Role names and passwords cannot be parameters; format() quotes them by PostgreSQL's rules.
        statement = await owner.fetchval(
            "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", user, password
        )
        try:
            await owner.execute(statement)
        except asyncpg.DuplicateObjectError:
            pass  # made since we looked, by a process migrating at the same moment
        else:
            log.info("database_login_created", role=user)
    grant = await owner.fetchval(
        "SELECT format('GRANT %I TO %I', $1::text, $2::text)", APP_ROLE, user
    )
    await owner.execute(grant)
    if await owner.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = $1", user):
        log.warning("database_login_is_superuser", role=user)
    return user


async def migrate_as_owner(owner_dsn: str, app_dsn: str | None) -> list[int]:
    """Apply the migrations as the owner, then make `app_dsn`'s login role a member of
    `frontdoor_app` (see `ensure_app_login`); return the versions applied."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        applied = await apply_migrations(conn)
        if app_dsn is not None:
            await ensure_app_login(conn, app_dsn)
        return applied
    finally:
        await conn.close()


async def too_privileged(conn: Conn) -> str | None:
    """Why this connection holds more than `frontdoor_app` gives (a superuser, or the schema's
    owner, who can turn off the audit trails' triggers), or None when it does not."""
    row = await conn.fetchrow(
        """
        SELECT r.rolsuper,
               EXISTS (SELECT 1 FROM pg_tables
                       WHERE schemaname = 'public' AND tableowner = current_user) AS owner
        FROM pg_roles r WHERE r.rolname = current_user
        """
    )
    if row is None:
        return None
    if row["rolsuper"]:
        return "a superuser"
    if row["owner"]:
        return "the schema's owner"
    return None
