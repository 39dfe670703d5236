#!/usr/bin/env bash
# Run Whisk's whole test suite against real services. On a fresh machine (as root) this
# installs and starts them first: PostgreSQL, Docker, the runtime images, Kafka, npm clients.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/api -x).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
if [[ "${WHISK_SKIP_PROVISION:-}" != "1" ]]; then
    bash scripts/provision.sh
fi
# shellcheck disable=SC1091
[[ -f .cache/services.env ]] && source .cache/services.env
bash scripts/check.sh  # ruff, lint-imports (.importlinter), mypy (mypy.ini)
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
