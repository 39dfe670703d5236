#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`; install and start one if not.
#
# Idempotent: does nothing when an engine already answers. On a fresh Debian machine (as root)
# it installs Debian's docker.io package and starts dockerd in the background, logging to
# ${WHISK_DOCKERD_LOG:-/tmp/whisk-dockerd.log}. Prints the engine version on success.
set -euo pipefail

log_file="${WHISK_DOCKERD_LOG:-/tmp/whisk-dockerd.log}"
wait_seconds="${WHISK_DOCKERD_WAIT:-60}"

say() { echo "[docker-engine] $*"; }

engine_up() { docker info >/dev/null 2>&1; }

print_version() {
    say "engine $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown) ready"
}

if command -v docker >/dev/null 2>&1 && engine_up; then
    print_version
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    say "no Docker engine answers and this is not root: start Docker yourself" >&2
    exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
    say "installing docker.io with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    say "starting dockerd (log: ${log_file})"
    # setsid: dockerd outlives this script and the shell that called it.
    setsid dockerd >>"${log_file}" 2>&1 </dev/null &
fi

for _ in $(seq 1 "${wait_seconds}"); do
    if engine_up; then
        print_version
        exit 0
    fi
    sleep 1
done

say "dockerd did not answer within ${wait_seconds}s; last log lines:" >&2
tail -n 40 "${log_file}" >&2 || true
exit 1
