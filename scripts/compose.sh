#!/usr/bin/env bash
# Whisk's distributed stack on this machine's Docker engine (docker-compose.yml): PostgreSQL,
# Kafka, controller0 (API on http://127.0.0.1:${WHISK_COMPOSE_PORT:-3233}), invoker0, invoker1,
# Prometheus (http://127.0.0.1:9090) and, given WHISK_GRAFANA_BASE, Grafana (:3000).
#
#   scripts/compose.sh up      engine, offline base images (scripts/build-images.sh) when missing,
#                              Kafka jars (scripts/kafka.sh fetch), build the three images, start,
#                              wait for /ping, create (or re-key) `guest`, wait for both
#                              invokers to report up (/invokers); writes
#                              .cache/compose.wskprops (APIHOST, AUTH, NAMESPACE)
#   scripts/compose.sh smoke   curl round trip: create, get, invoke (blocking), delete an action
#   scripts/compose.sh down    remove the stack, its volumes and its network
#   scripts/compose.sh ps|logs [SERVICE]  pass-through to docker-compose
#
# Idempotent: `up` on a running stack rebuilds what changed and re-keys `guest`.
#
# Environment:
#   WHISK_BASE_PYTHON     base image of the builds (default: whisk-base/python:3.11-slim, made
#                         offline by scripts/build-images.sh; python:3.11-slim with a registry)
#   WHISK_COMPOSE_PORT    host port of the API (default 3233, bound to 127.0.0.1)
#   WHISK_PROMETHEUS_BASE base of the Prometheus image (default WHISK_BASE_PYTHON + Debian's
#                         prometheus package; prom/prometheus:v2.53.0 with a registry)
#   WHISK_GRAFANA_BASE    an image with Grafana (grafana/grafana-oss:11.3.0 with a registry);
#                         unset: no Grafana (Debian has no package for it)
#   WHISK_COMPOSE_WSKPROPS where `up` writes the credentials (default .cache/compose.wskprops)
#   WHISK_SOCKET_DIR      host directory of the action containers' sockets, mounted at the same
#                         path in the invokers (default /tmp/whisk-compose/sockets)
#   COMPOSE_PROJECT_NAME  default whisk
#   WHISK_PARAMETER_KEY   base64 key encrypting parameters at rest (default: none, parameters
#                         stored as given, as OpenWhisk's default)
#   WHISK_PARAMETER_ENCRYPTION=on  encrypt with a key made once in .cache/compose.parameter.key
#   WHISK_BUILD_CA_BUNDLE CA bundle pip trusts during the build (default: PIP_CERT, else the
#                         system bundle); needed when PyPI is reached through a TLS proxy
#   WHISK_SMOKE_REQUIRE_INVOKE=1  `smoke` fails (instead of warning) when invocation answers 503
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"

export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-whisk}"
export WHISK_COMPOSE_PORT="${WHISK_COMPOSE_PORT:-3233}"
export WHISK_BASE_PYTHON="${WHISK_BASE_PYTHON:-whisk-base/python:3.11-slim}"
export WHISK_PROMETHEUS_BASE="${WHISK_PROMETHEUS_BASE:-${WHISK_BASE_PYTHON}}"
api="http://127.0.0.1:${WHISK_COMPOSE_PORT}"
# The invokers' socket directories (WHISK_INVOKER_RUNTIME_DIR), same path on host and inside.
export WHISK_SOCKET_DIR="${WHISK_SOCKET_DIR:-/tmp/whisk-compose/sockets}"
wskprops="${WHISK_COMPOSE_WSKPROPS:-${root}/.cache/compose.wskprops}"
ping_wait="${WHISK_COMPOSE_WAIT:-240}"
# Parameters encrypted at rest when asked for: one key for the controller and the invokers, made
# once and kept beside the credentials (owner-readable only); a WHISK_PARAMETER_KEY given wins.
if [[ -z "${WHISK_PARAMETER_KEY:-}" && "${WHISK_PARAMETER_ENCRYPTION:-}" == "on" ]]; then
    keyfile="${root}/.cache/compose.parameter.key"
    if [[ ! -s "${keyfile}" ]]; then
        mkdir -p "$(dirname "${keyfile}")"
        (umask 077 && head -c 32 /dev/urandom | base64 >"${keyfile}")
    fi
    WHISK_PARAMETER_KEY="$(cat "${keyfile}")"
fi
export WHISK_PARAMETER_KEY="${WHISK_PARAMETER_KEY:-}"
compose=()

say() { echo "[compose] $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

ensure_engine() {
    # 8>&-: a dockerd started here must not hold this script's lock.
    bash "${root}/scripts/docker-engine.sh" >&2 8>&- || die "no Docker engine"
}

# Debian's docker-compose 1.29 (installed when missing), or the v2 plugin when present.
ensure_compose() {
    if command -v docker-compose >/dev/null 2>&1; then
        compose=(docker-compose)
    elif docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    elif [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing docker-compose with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            docker-compose >/dev/null || die "apt-get could not install docker-compose"
        compose=(docker-compose)
    else
        die "neither docker-compose nor 'docker compose' is available"
    fi
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The base image of the builds and the action runtime images the invokers start.
ensure_base_images() {
    local missing=()
    local image
    for image in "${WHISK_BASE_PYTHON}" whisk/action-python-v3.11:latest \
        whisk/action-nodejs-v20:latest; do
        image_exists "${image}" || missing+=("${image}")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        say "base and runtime images present"
        return
    fi
    say "missing ${missing[*]}: running scripts/build-images.sh"
    if [[ "${WHISK_BASE_PYTHON}" == whisk-base/* ]]; then
        bash "${root}/scripts/build-images.sh" >&2
    else
        WHISK_BASE_PYTHON="${WHISK_BASE_PYTHON}" bash "${root}/scripts/build-images.sh" >&2
    fi
    image_exists "${WHISK_BASE_PYTHON}" || die "base image ${WHISK_BASE_PYTHON} still missing"
}

# deploy/kafka/libs/ <- the broker jars cached by scripts/kafka.sh.
prepare_kafka_context() {
    local out libs
    out="$(bash "${root}/scripts/kafka.sh" fetch 2>&1)" || { echo "${out}" >&2; die "kafka.sh fetch failed"; }
    echo "${out}" >&2
    # kafka.sh names the directory on its last line ("... cached in DIR" / "... into DIR").
    libs="$(echo "${out}" | tail -n 1 | sed -n 's/.* \(in\|into\) \(\/.*\)$/\2/p')"
    if [[ -z "${libs}" || ! -f "${libs}/.complete" ]]; then
        libs="$(ls -dt "${WHISK_CACHE_DIR:-$HOME/.cache/whisk}"/kafka/libs-*-r* 2>/dev/null \
            | while read -r d; do [[ -f "$d/.complete" ]] && echo "$d"; done | head -n 1 || true)"
    fi
    [[ -n "${libs}" ]] || die "cannot find the Kafka jars fetched by scripts/kafka.sh"
    say "kafka build context: jars from ${libs}"
    rm -rf "${root}/deploy/kafka/libs"
    mkdir -p "${root}/deploy/kafka/libs"
    cp -l "${libs}"/*.jar "${root}/deploy/kafka/libs/" 2>/dev/null \
        || cp "${libs}"/*.jar "${root}/deploy/kafka/libs/"
}

# deploy/build-ca/bundle.pem <- the CA bundle pip trusts on this host (see deploy/build-ca/README).
prepare_build_ca() {
    local bundle="${WHISK_BUILD_CA_BUNDLE:-${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}}"
    local target="${root}/deploy/build-ca/bundle.pem"
    if [[ -s "${bundle}" ]]; then
        cmp -s "${bundle}" "${target}" 2>/dev/null || cp "${bundle}" "${target}"
    else
        rm -f "${target}"
    fi
}

# build IMAGE CONTEXT [DOCKERFILE [BASE]]: docker build, printing one line per step.
build() {
    local image="$1" context="$2" dockerfile="${3:-$2/Dockerfile}" base="${4:-${WHISK_BASE_PYTHON}}" log
    log="$(mktemp)"
    say "building ${image} (base ${base})"
    # Step lines of the classic builder, or stage lines of BuildKit (plain progress).
    if ! BUILDKIT_PROGRESS=plain docker build --force-rm \
        --build-arg "BASE_IMAGE=${base}" -f "${dockerfile}" -t "${image}" "${context}" 2>&1 | tee "${log}" \
        | awk '/^Step [0-9]+\/[0-9]+ :|^#[0-9]+ \[/ { print "[compose]   " substr($0, 1, 110); fflush() }' >&2
    then
        tail -n 40 "${log}" >&2
        rm -f "${log}"
        die "docker build ${image} failed"
    fi
    rm -f "${log}"
}

wait_for_ping() {
    local i
    say "waiting for the controller on ${api}/ping (up to ${ping_wait}s)"
    for i in $(seq 1 "${ping_wait}"); do
        if [[ "$(curl -fsS --max-time 3 "${api}/ping" 2>/dev/null)" == *pong* ]]; then
            say "controller answers after ~${i}s"
            return
        fi
        sleep 1
    done
    "${compose[@]}" ps >&2 || true
    "${compose[@]}" logs --tail 40 >&2 || true
    die "the controller did not answer ${api}/ping within ${ping_wait}s"
}

# Create `guest` (or give it a new key when it exists) and write .cache/compose.wskprops.
create_guest() {
    local out key
    if ! out="$("${compose[@]}" exec -T controller0 whisk admin user create guest 2>&1)"; then
        say "guest exists: rotating its key"
        out="$("${compose[@]}" exec -T controller0 whisk admin user rotate-key guest 2>&1)" \
            || { echo "${out}" >&2; die "could not create nor re-key guest"; }
    fi
    key="$(echo "${out}" | tr -d '\r' | tail -n 1)"
    [[ "${key}" =~ ^[0-9a-f-]{36}:[A-Za-z0-9]+$ ]] || { echo "${out}" >&2; die "no uuid:key in the output"; }
    mkdir -p "$(dirname "${wskprops}")"
    (umask 077 && printf 'APIHOST=http://localhost:%s\nAUTH=%s\nNAMESPACE=guest\n' \
        "${WHISK_COMPOSE_PORT}" "${key}" >"${wskprops}")
    say "guest's key written to ${wskprops}"
}

# Both invokers "up" in the controller's /invokers (their health pings arrive over Kafka).
wait_for_invokers() {
    local i health=""
    say "waiting for invoker0 and invoker1 to report to the controller"
    for i in $(seq 1 "${ping_wait}"); do
        health="$(curl -fsS --max-time 3 "${api}/invokers" 2>/dev/null || true)"
        if [[ "${health}" =~ \"invoker0\":\ *\"up\" && "${health}" =~ \"invoker1\":\ *\"up\" ]]; then
            say "invokers up after ~${i}s: ${health}"
            return
        fi
        sleep 1
    done
    local service
    for service in invoker0 invoker1; do
        "${compose[@]}" logs --tail 30 "${service}" >&2 || true
    done
    die "the invokers did not report up within ${ping_wait}s (last /invokers: ${health:-none})"
}

up() {
    ensure_engine
    ensure_compose
    ensure_base_images
    prepare_kafka_context
    prepare_build_ca
    build whisk/postgres:latest deploy/postgres
    build whisk/kafka:latest deploy/kafka
    build whisk/service:latest . deploy/Dockerfile
    build whisk/prometheus:latest deploy/prometheus deploy/prometheus/Dockerfile \
        "${WHISK_PROMETHEUS_BASE}"
    local profiles=()
    if [[ -n "${WHISK_GRAFANA_BASE:-}" ]]; then
        image_exists "${WHISK_GRAFANA_BASE}" || docker pull "${WHISK_GRAFANA_BASE}" >&2 \
            || die "no Grafana base image ${WHISK_GRAFANA_BASE} (Debian has no grafana package)"
        build whisk/grafana:latest deploy/grafana deploy/grafana/Dockerfile "${WHISK_GRAFANA_BASE}"
        profiles=(--profile grafana)
    else
        say "no WHISK_GRAFANA_BASE: Grafana left out (dashboard JSON in deploy/grafana/dashboards)"
    fi
    # The invokers (uid 10001) make one socket directory per action container in here.
    mkdir -p "${WHISK_SOCKET_DIR}"
    chmod 1777 "${WHISK_SOCKET_DIR}"
    WHISK_DOCKER_GID="$(stat -c %g /var/run/docker.sock)"
    export WHISK_DOCKER_GID
    say "starting the stack (project ${COMPOSE_PROJECT_NAME})"
    "${compose[@]}" "${profiles[@]}" up -d --no-build --remove-orphans >&2
    wait_for_ping
    create_guest
    wait_for_invokers
    say "up: API ${api}, credentials in ${wskprops}"
    say "metrics: ${api}/metrics; Prometheus http://127.0.0.1:${WHISK_PROMETHEUS_PORT:-9090}"
    if [[ ${#profiles[@]} -gt 0 ]]; then
        say "Grafana: http://127.0.0.1:${WHISK_GRAFANA_PORT:-3000}/d/whisk-overview"
    fi
}

down() {
    ensure_compose
    say "removing the stack (project ${COMPOSE_PROJECT_NAME}) and its volumes"
    "${compose[@]}" down --volumes --remove-orphans --timeout 20 >&2
}

smoke_cleanup() {
    rm -f "${body}"
    curl -s -o /dev/null -u "${auth}" -X DELETE "${url}" || true
}

# curl FLOW: create, get, invoke (blocking, result only) and delete an action.
auth="" url="" body=""
smoke() {
    [[ -f "${wskprops}" ]] || die "no ${wskprops}: run scripts/compose.sh up first"
    local name code
    auth="$(sed -n 's/^AUTH=//p' "${wskprops}")"
    name="compose-smoke-$$"
    url="${api}/api/v1/namespaces/_/actions/${name}"
    body="$(mktemp)"
    trap smoke_cleanup EXIT

    code="$(curl -sS -o "${body}" -w '%{http_code}' -u "${auth}" -X PUT \
        -H 'Content-Type: application/json' "${url}?overwrite=true" \
        -d '{"exec":{"kind":"python:3.11","code":"def main(args):\n    return {\"greeting\": \"hello \" + args.get(\"name\", \"world\")}"}}')"
    [[ "${code}" == 200 ]] || { cat "${body}" >&2; die "create ${name}: HTTP ${code}"; }
    say "created ${name}"

    code="$(curl -sS -o "${body}" -w '%{http_code}' -u "${auth}" "${url}?code=false")"
    [[ "${code}" == 200 ]] && grep -q "\"name\": *\"${name}\"" "${body}" \
        || { cat "${body}" >&2; die "get ${name}: HTTP ${code}"; }
    say "got ${name}"

    code="$(curl -sS -o "${body}" -w '%{http_code}' --max-time 120 -u "${auth}" -X POST \
        -H 'Content-Type: application/json' "${url}?blocking=true&result=true" \
        -d '{"name":"compose"}')"
    if [[ "${code}" == 200 ]] && grep -q '"greeting": *"hello compose"' "${body}"; then
        say "invoked ${name}: $(cat "${body}")"
    elif [[ "${code}" == 503 && "${WHISK_SMOKE_REQUIRE_INVOKE:-0}" != 1 ]]; then
        say "WARNING: invocation is not available (HTTP 503: $(cat "${body}"))"
    else
        cat "${body}" >&2
        die "invoke ${name}: HTTP ${code}"
    fi
    say "smoke passed"
}

# One up/down at a time on this machine (they share the build contexts under deploy/).
lock() {
    exec 8>"${TMPDIR:-/tmp}/whisk-compose.lock"
    flock 8
}

case "${1:-}" in
    up) lock; up ;;
    down) lock; down ;;
    smoke) smoke ;;
    ps) ensure_compose; "${compose[@]}" ps ;;
    logs) ensure_compose; shift; "${compose[@]}" logs --tail 200 "$@" ;;
    *) echo "usage: $0 up|down|smoke|ps|logs [SERVICE]" >&2; exit 2 ;;
esac
