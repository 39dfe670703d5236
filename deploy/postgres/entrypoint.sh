#!/bin/bash
# Start PostgreSQL in the foreground; on an empty data directory first create the cluster, the
# role POSTGRES_USER (password POSTGRES_PASSWORD, superuser) and the database POSTGRES_DB.
set -euo pipefail

user="${POSTGRES_USER:-whisk}"
password="${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
db="${POSTGRES_DB:-$user}"

say() { echo "whisk-postgres: $*" >&2; }

if [[ ! -s "${PGDATA}/PG_VERSION" ]]; then
    say "initialising a new cluster in ${PGDATA} (user ${user}, database ${db})"
    pwfile="$(mktemp)"
    printf '%s\n' "${password}" >"${pwfile}"
    initdb --username="${user}" --pwfile="${pwfile}" --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "${pwfile}"
    # Every address inside the compose network may connect, with a password.
    echo "host all all 0.0.0.0/0 scram-sha-256" >>"${PGDATA}/pg_hba.conf"
    echo "host all all ::/0 scram-sha-256" >>"${PGDATA}/pg_hba.conf"
    if [[ "${db}" != "postgres" ]]; then
        # Single-user mode: no server, no socket; the statement runs and the backend exits.
        echo "CREATE DATABASE \"${db}\" OWNER \"${user}\"" \
            | postgres --single -D "${PGDATA}" -j postgres >/dev/null
    fi
    say "cluster ready"
fi

# synchronous_commit=off: a crash may lose the last commits, never corrupts (a development stack).
exec postgres -D "${PGDATA}" -c listen_addresses='*' -c max_connections=200 \
    -c shared_buffers=64MB -c synchronous_commit=off "$@"
