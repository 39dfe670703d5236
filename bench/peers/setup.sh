#!/usr/bin/env bash
# The peers of bench/peers/ (not Whisk's own dependencies). Idempotent.
#
#   bench/peers/setup.sh          create .cache/peers-venv (functions-framework, Celery,
#                                 Dramatiq, redis-py), install redis-server from Debian's
#                                 package if needed, start it on 127.0.0.1; the last line of
#                                 stdout is the Redis URL
#   bench/peers/setup.sh stop     stop the Redis server started here
#   bench/peers/setup.sh url      print the Redis URL only
#
# WHISK_PEERS_VENV (default <repo>/.cache/peers-venv) is the peers' virtualenv, made with
# WHISK_PEERS_PYTHON (default python3);
# WHISK_PEERS_REDIS_DIR (default /tmp/whisk-peers-redis) holds the Redis pid, port and log.
# Progress goes to stderr, the URL to stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${WHISK_PEERS_VENV:-$ROOT/.cache/peers-venv}"
STATE="${WHISK_PEERS_REDIS_DIR:-/tmp/whisk-peers-redis}"
PIDFILE="$STATE/redis.pid"
PORTFILE="$STATE/port"
PYTHON="${WHISK_PEERS_PYTHON:-python3}"
PACKAGES=("functions-framework" "celery[redis]>=5,<6" "dramatiq[redis]" "redis")

say() { echo "peers/setup.sh: $*" >&2; }

ensure_venv() {
    if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c \
        "import functions_framework, celery, dramatiq, redis" 2>/dev/null; then
        return
    fi
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip >&2
    "$VENV/bin/pip" install --quiet "${PACKAGES[@]}" >&2
}

ensure_redis_installed() {
    if command -v redis-server >/dev/null; then
        return
    fi
    if [[ $(id -u) -ne 0 ]]; then
        say "redis-server is missing; run as root (apt-get) or install it yourself"
        exit 1
    fi
    say "installing redis-server (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >&2 || {
        apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >&2
    }
    # the package starts a system service on 6379 where there is an init; we run our own
}

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

redis_up() {
    [[ -f "$PORTFILE" ]] && redis-cli -h 127.0.0.1 -p "$(cat "$PORTFILE")" ping 2>/dev/null | grep -q PONG
}

url() { echo "redis://127.0.0.1:$(cat "$PORTFILE")"; }

start_redis() {
    mkdir -p "$STATE"
    if redis_up; then
        return
    fi
    free_port >"$PORTFILE"
    say "starting redis-server on 127.0.0.1:$(cat "$PORTFILE")"
    redis-server --bind 127.0.0.1 --port "$(cat "$PORTFILE")" --protected-mode yes \
        --save '' --appendonly no --daemonize yes --pidfile "$PIDFILE" \
        --logfile "$STATE/redis.log" --dir "$STATE" >&2
    for _ in $(seq 50); do
        redis_up && return
        sleep 0.1
    done
    say "redis-server did not answer; its log:"
    tail -n 40 "$STATE/redis.log" >&2 || true
    exit 1
}

case "${1:-start}" in
start)
    ensure_venv
    ensure_redis_installed
    start_redis
    url
    ;;
stop)
    if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        kill "$(cat "$PIDFILE")"
        say "stopped redis-server"
    fi
    ;;
url)
    url
    ;;
*)
    say "usage: $0 [start|stop|url]"
    exit 2
    ;;
esac
