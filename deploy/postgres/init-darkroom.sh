#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume: gives darkroom its own
# role and database next to Temporal's, so neither can touch the other's tables.
set -eu
: "${DARKROOM_DB_PASSWORD:?DARKROOM_DB_PASSWORD must be set}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=pw="$DARKROOM_DB_PASSWORD" <<'SQL'
CREATE ROLE darkroom LOGIN PASSWORD :'pw';
CREATE DATABASE darkroom OWNER darkroom;
SQL
