#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for Whisk's tests and local runs. Idempotent.
#
#   scripts/postgres.sh          install (Debian) if needed, init, start; last line = the URL
#   scripts/postgres.sh stop     stop the cluster (data is kept; delete $WHISK_PG_DIR to reset)
#   scripts/postgres.sh url      print the URL only
#
# WHISK_PG_DIR (default /tmp/whisk-pg) holds data/, the log and the Unix socket;
# WHISK_PG_PORT (default 55432) is the TCP port on 127.0.0.1. As root the server runs as
# the `postgres` OS user (initdb refuses root). Progress goes to stderr, the URL to stdout.
# The role `whisk` (password `whisk`, CREATEDB) owns the database `whisk`.
set -euo pipefail

PG_DIR="${WHISK_PG_DIR:-/tmp/whisk-pg}"
PG_PORT="${WHISK_PG_PORT:-55432}"
DATA="$PG_DIR/data"
LOG="$PG_DIR/postgres.log"
URL="postgresql+asyncpg://whisk:whisk@127.0.0.1:${PG_PORT}/whisk"

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
    fi
}

ensure_installed() {
    PG_BIN=$(find_bin)
    if [[ -z "$PG_BIN" ]]; then
        say "PostgreSQL not found; installing Debian's postgresql"
        if [[ $(id -u) -ne 0 ]]; then
            say "need root to apt-get install postgresql"
            exit 1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
        PG_BIN=$(find_bin)
        [[ -n "$PG_BIN" ]] || { say "postgresql installed but initdb/pg_ctl not found"; exit 1; }
    fi
}

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

running() {
    as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

psql_admin() {
    as_owner "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres \
        -v ON_ERROR_STOP=1 -qtA "$@"
}

init_cluster() {
    mkdir -p "$PG_DIR"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$PG_DIR"
    fi
    chmod 700 "$PG_DIR"
    if [[ ! -s "$DATA/PG_VERSION" ]]; then
        say "initialising a cluster in $DATA"
        rm -rf "$DATA"
        local pwfile="$PG_DIR/.pw"
        as_owner bash -c "umask 077; echo postgres > '$pwfile'"
        as_owner "$PG_BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2 \
            || as_owner "$PG_BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" \
                --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >&2
        rm -f "$pwfile"
    fi
}

start_cluster() {
    if running; then
        say "already running ($DATA)"
        return
    fi
    say "starting on 127.0.0.1:$PG_PORT (log: $LOG)"
    # A throwaway cluster: durability is traded for speed. `9>&-`: the server must not
    # inherit (and so hold forever) the lock taken in main.
    if ! as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            >&2 9>&-; then
        say "PostgreSQL failed to start; its log follows"
        tail -n 50 "$LOG" >&2 || true
        exit 1
    fi
}

wait_ready() {
    local i
    for i in $(seq 1 60); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
            return
        fi
        sleep 1
    done
    say "PostgreSQL is not accepting connections; its log follows"
    tail -n 50 "$LOG" >&2 || true
    exit 1
}

ensure_database() {
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'whisk'") ]]; then
        say "creating role whisk"
        psql_admin -c "CREATE ROLE whisk LOGIN CREATEDB PASSWORD 'whisk'"
    fi
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'whisk'") ]]; then
        say "creating database whisk"
        psql_admin -c "CREATE DATABASE whisk OWNER whisk"
    fi
}

stop_cluster() {
    PG_BIN=$(find_bin)
    if [[ -z "$PG_BIN" || ! -d "$DATA" ]] || ! running; then
        say "not running"
        return
    fi
    as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
}

main() {
    case "${1:-start}" in
        start)
            ensure_installed
            mkdir -p "$(dirname "$PG_DIR")"
            # One caller at a time: tests of several packages may start it together.
            exec 9>"$PG_DIR.lock"
            flock 9
            init_cluster
            start_cluster
            wait_ready
            ensure_database
            echo "$URL"
            ;;
        stop)
            stop_cluster
            ;;
        url)
            echo "$URL"
            ;;
        *)
            say "usage: $0 [start|stop|url]"
            exit 2
            ;;
    esac
}

main "$@"
