#!/bin/bash
# Runs once, when the PostgreSQL container starts on an empty data volume
# (docker-entrypoint-initdb.d), as the bootstrap superuser. It makes, with passwords from the
# compose secrets (/run/secrets):
#   temporal             LOGIN, owner of the `temporal` and `temporal_visibility` databases only
#   frontdoor            LOGIN, owner of the `frontdoor` database and its schema (`frontdoor migrate`)
#   frontdoor_app        NOLOGIN, the grants of store/migrations/0010_least_privilege.sql
#   frontdoor_app_login  LOGIN, member of frontdoor_app: the worker, the API and the notifier
# None is a superuser, none may create roles or databases; each database is closed to PUBLIC
# and open only to its own roles. The owner holds ADMIN on frontdoor_app, so `frontdoor migrate`
# can (re)grant it to the login role without CREATEROLE.
set -euo pipefail

# A secret's value: the file's text, one trailing newline removed. Missing or empty stops the
# initialisation (and so the container), naming the secret.
secret() {
    local file="/run/secrets/$1" value
    if [[ ! -f ${file} ]]; then
        echo "postgres init: secret $1 is missing (${file}); see docs/operations.md" >&2
        exit 1
    fi
    value="$(cat "${file}"; printf x)"
    value="${value%x}"
    value="${value%$'\n'}"
    value="${value%$'\r'}"
    if [[ -z ${value//[[:space:]]/} ]]; then
        echo "postgres init: secret $1 is empty (${file})" >&2
        exit 1
    fi
    printf '%s' "${value}"
}

TEMPORAL_PASSWORD="$(secret temporal_db_password)"
OWNER_PASSWORD="$(secret frontdoor_owner_db_password)"
APP_PASSWORD="$(secret frontdoor_app_db_password)"
export TEMPORAL_PASSWORD OWNER_PASSWORD APP_PASSWORD

# The passwords reach psql through its environment (\getenv), never its command line.
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname postgres <<'SQL'
\getenv temporal_password TEMPORAL_PASSWORD
\getenv owner_password OWNER_PASSWORD
\getenv app_password APP_PASSWORD

CREATE ROLE temporal LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
REVOKE ALL ON DATABASE temporal, temporal_visibility FROM PUBLIC;

CREATE ROLE frontdoor LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE DATABASE frontdoor OWNER frontdoor;
REVOKE ALL ON DATABASE frontdoor FROM PUBLIC;

CREATE ROLE frontdoor_app NOLOGIN;
GRANT frontdoor_app TO frontdoor WITH ADMIN OPTION;
GRANT CONNECT, TEMPORARY ON DATABASE frontdoor TO frontdoor_app;
CREATE ROLE frontdoor_app_login LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
    PASSWORD :'app_password';
GRANT frontdoor_app TO frontdoor_app_login;
SQL
echo "postgres init: roles temporal, frontdoor, frontdoor_app, frontdoor_app_login made"
