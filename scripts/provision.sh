#!/usr/bin/env bash
# Start every real service the test suite needs, on this machine, idempotently:
# PostgreSQL, the Docker engine, Whisk's runtime images (built offline), a Kafka broker, and
# the real OpenWhisk clients (npm) the compatibility tests drive. Writes the addresses to
# .cache/services.env for scripts/test.sh. Needs root (apt-get, dockerd).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { echo "provision.sh: $*" >&2; }
mkdir -p .cache
env_file=.cache/services.env
: > "$env_file"

say "[1/5] PostgreSQL"
pg_url=$(bash scripts/postgres.sh | tail -n 1)
echo "export WHISK_TEST_PG_URL='$pg_url'" >> "$env_file"

say "[2/5] Docker engine"
bash scripts/docker-engine.sh >&2

say "[3/5] runtime images (offline bases on first run: a few minutes)"
bash scripts/build-images.sh >&2

say "[4/5] Kafka broker"
kafka=$(bash scripts/kafka.sh start | tail -n 1)
echo "export WHISK_TEST_KAFKA='$kafka'" >> "$env_file"

say "[5/5] OpenWhisk npm client"
bash scripts/npm-clients.sh >&2
echo "export WHISK_NPM_CLIENTS='${WHISK_CACHE_DIR:-$HOME/.cache/whisk}/npm-clients'" >> "$env_file"
say "services ready ($env_file)"
