#!/bin/sh
# One-shot: creates darkroom's Temporal namespace and registers the custom search attributes its
# workflows set (operators filter the Web UI by them). Idempotent: only what is missing is created.
# Runs in temporalio/admin-tools (temporal CLI).
set -eu
: "${TEMPORAL_ADDRESS:?}" "${DARKROOM_SEARCH_ATTRIBUTES:?}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_RETENTION:-7d}"
export TEMPORAL_ADDRESS

# The frontend accepts connections before the cluster is ready to serve namespace calls.
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS did not become healthy" >&2
    exit 1
  fi
  echo "waiting for Temporal at $TEMPORAL_ADDRESS ..."
  sleep 2
done

if ! temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
fi

# A new namespace is stored at once, but each Temporal service sees it only after its namespace
# cache refreshes (10 s by default): until then namespace-scoped calls answer "not found".
tries=0
until existing="$(temporal operator search-attribute list --namespace "$NAMESPACE" 2>&1)"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "namespace $NAMESPACE is not served by Temporal at $TEMPORAL_ADDRESS: $existing" >&2
    exit 1
  fi
  echo "waiting for Temporal to serve namespace $NAMESPACE ..."
  sleep 1
done

# SQL visibility has a fixed number of Keyword slots per namespace (10 on PostgreSQL); darkroom
# uses 6 of them.
for name in $(echo "$DARKROOM_SEARCH_ATTRIBUTES" | tr ',' ' '); do
  if printf '%s\n' "$existing" | grep -qw -- "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type Keyword
  fi
done
echo "namespace $NAMESPACE is ready for darkroom"
