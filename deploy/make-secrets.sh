#!/bin/sh
# Make the secret files docker-compose.yml reads, in the folder given (SECRETS_DIR), each once:
# a file that exists is left as it is. Random passwords and keys; the folder 0700, the files
# 0444 (compose mounts each file into its container as it is on the host, and the containers
# run as their own users: postgres 999, temporal 1000, frontdoor 10001).
#
#   deploy/make-secrets.sh /srv/frontdoor/secrets
set -eu
dir="${1:?usage: deploy/make-secrets.sh SECRETS_DIR}"
umask 077
mkdir -p "${dir}"
chmod 0700 "${dir}"

random() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
password() { random 33 | tr '+/' '-_'; }

make() {
    if [ -s "${dir}/$1" ]; then
        echo "kept ${dir}/$1"
        return
    fi
    printf '%s\n' "$2" >"${dir}/$1"
    chmod 0444 "${dir}/$1"
    echo "made ${dir}/$1"
}

make postgres_password "$(password)"
make temporal_db_password "$(password)"
make frontdoor_owner_db_password "$(password)"
make frontdoor_app_db_password "$(password)"
make payload_keys "$(date +%Y-%m):$(random 32)"
make identifier_key "$(password)"
make auth_secret "$(password)"
