#!/usr/bin/env bash
# Whisk's reliability suite alone: faults (invoker, controller, Kafka, PostgreSQL, disk), the
# load soak, hostile actions and hostile input, against real services. It prints the fault
# table, the load figures and the hostile-action/input tables at the end. scripts/test.sh runs
# the same tests as part of the whole suite (CI does that).
#   bash scripts/reliability.sh                       # the CI-sized run (a 60 s soak)
#   WHISK_SOAK_SECONDS=1800 bash scripts/reliability.sh tests/deploy/test_soak.py   # 30 min soak
# Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
if [[ "${WHISK_SKIP_PROVISION:-}" != "1" ]]; then
    bash scripts/provision.sh
fi
# shellcheck disable=SC1091
[[ -f .cache/services.env ]] && source .cache/services.env
exec .venv/bin/pytest -q -p no:cacheprovider -m reliability "$@"
