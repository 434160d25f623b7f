#!/bin/bash
# One-shot: set up, then bring up to date, the schemas of the `temporal` and `temporal_visibility`
# databases with the admin tools' temporal-sql-tool, as the `temporal` role. The databases
# themselves are made by the PostgreSQL container's init script (deploy/postgres/10-roles.sh),
# so that role needs no CREATEDB. Safe to run again: setup-schema -v 0.0 leaves an existing
# schema alone and update-schema applies only the versions not yet applied.
set -euo pipefail
source /deploy/secret.sh
SQL_PASSWORD="$(secret temporal_db_password)"  # read by temporal-sql-tool, not on its command line
export SQL_PASSWORD
schemas=/etc/temporal/schema/postgresql/v12
for pair in temporal:temporal temporal_visibility:visibility; do
    db="${pair%%:*}"
    dir="${schemas}/${pair#*:}/versioned"
    args=(--plugin postgres12 --ep "${SQL_HOST}" -p "${SQL_PORT}" -u "${SQL_USER}" --db "${db}")
    echo "temporal-schema: ${db}"
    temporal-sql-tool "${args[@]}" setup-schema -v 0.0
    temporal-sql-tool "${args[@]}" update-schema -d "${dir}"
done
echo "temporal-schema: done"
