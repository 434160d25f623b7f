#!/bin/bash
# The Temporal server's entrypoint: the database password from its secret, then the image's own
# entrypoint (which renders the config from the environment and starts the server).
set -euo pipefail
source /deploy/secret.sh
POSTGRES_PWD="$(secret temporal_db_password)"
export POSTGRES_PWD
exec /etc/temporal/entrypoint.sh "$@"
