#!/bin/bash
# One-shot: the namespace with an explicit retention (made, or its retention set to
# NAMESPACE_RETENTION on every run), and the search attributes Front Door publishes
# (SEARCH_ATTRIBUTES, `Name=Type ...`, the list of core/search_attributes.py; the worker also
# registers any that are missing when it starts).
set -euo pipefail
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${NAMESPACE_RETENTION:?}" "${SEARCH_ATTRIBUTES:?}"
export TEMPORAL_ADDRESS

if temporal operator namespace describe --namespace "${NAMESPACE}" >/dev/null 2>&1; then
    temporal operator namespace update --namespace "${NAMESPACE}" \
        --retention "${NAMESPACE_RETENTION}"
    echo "temporal-namespace: ${NAMESPACE} retention set to ${NAMESPACE_RETENTION}"
else
    temporal operator namespace create --namespace "${NAMESPACE}" \
        --retention "${NAMESPACE_RETENTION}" --description "Front Door referrals"
    echo "temporal-namespace: ${NAMESPACE} made, retention ${NAMESPACE_RETENTION}"
fi

# A new namespace takes a moment to reach every service's cache.
for _ in $(seq 1 30); do
    temporal operator search-attribute list --namespace "${NAMESPACE}" >/dev/null 2>&1 && break
    sleep 2
done

listed() {
    temporal operator search-attribute list --namespace "${NAMESPACE}" | grep -qw -- "$1"
}
for pair in ${SEARCH_ATTRIBUTES}; do
    name="${pair%%=*}"
    kind="${pair#*=}"
    if listed "${name}"; then
        continue
    fi
    # Made since we looked (a worker starting) counts as done.
    temporal operator search-attribute create --namespace "${NAMESPACE}" \
        --name "${name}" --type "${kind}" || listed "${name}"
    echo "temporal-namespace: search attribute ${name} (${kind}) registered"
done
echo "temporal-namespace: done"
