#!/bin/bash
# The Temporal UI's entrypoint with sign-in on (deploy/temporal-ui.yml): the OIDC client secret
# from its compose secret (the UI reads it only from TEMPORAL_AUTH_CLIENT_SECRET), then the
# image's own entrypoint, which renders the UI's config from the environment.
set -euo pipefail
source /deploy/secret.sh
TEMPORAL_AUTH_CLIENT_SECRET="$(secret temporal_ui_oidc_client_secret)"
export TEMPORAL_AUTH_CLIENT_SECRET
exec /home/ui-server/start-ui-server.sh "$@"
