#!/bin/sh
# One-shot: creates Temporal's two databases and brings their schemas to the version the server
# expects. Safe to re-run: an existing database is kept, and update-schema only applies versions that
# are missing. Runs in temporalio/admin-tools (temporal-sql-tool, nc) as it is, or anywhere with the
# tool built by deploy/tools/build-temporal-server.sh:
#
#   TEMPORAL_SQL_TOOL=.tools/temporal-server/temporal-sql-tool \
#   SCHEMA_ROOT=.tools/temporal-server/schema/postgresql/v12 \
#   POSTGRES_SEEDS=127.0.0.1 POSTGRES_USER=temporal SQL_PASSWORD=... deploy/temporal/setup-schema.sh
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}"
# Read by temporal-sql-tool itself; empty for a server that trusts local connections.
export SQL_PASSWORD="${SQL_PASSWORD-}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT="${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"
TEMPORAL_SQL_TOOL="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"

# Compose starts this next to PostgreSQL; elsewhere the database is usually up already (and nc may
# be missing), and the tool's own error says what is wrong.
if command -v nc >/dev/null 2>&1; then
  until nc -z "$POSTGRES_SEEDS" "$DB_PORT"; do
    echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT ..."
    sleep 1
  done
fi

sql() { "$TEMPORAL_SQL_TOOL" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"; }

for pair in "$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"; do
  db="${pair%%:*}"
  dir="${pair##*:}"
  sql --db "$db" create || echo "database $db already exists"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
done
echo "Temporal schema is up to date"
