#!/bin/bash
# One-shot, once the worker is up: make its build (DEPLOYMENT_NAME, BUILD_ID) the Worker
# Deployment's current version, so the task queue's workflow tasks go to it (auto-upgrade: the
# running cases move to it at their next task; docs/runbook.md, "Rolling out a new build").
# The server knows a version once its worker has polled: tried for a minute.
set -euo pipefail
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${DEPLOYMENT_NAME:?}" "${BUILD_ID:?}"
export TEMPORAL_ADDRESS

for _ in $(seq 1 30); do
    if temporal worker deployment set-current-version --namespace "${NAMESPACE}" \
        --deployment-name "${DEPLOYMENT_NAME}" --build-id "${BUILD_ID}" --yes; then
        echo "worker-version: ${DEPLOYMENT_NAME} ${BUILD_ID} is current"
        exit 0
    fi
    sleep 2
done
echo "worker-version: ${DEPLOYMENT_NAME} ${BUILD_ID} could not be made current" >&2
exit 1
