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
exec bash "$ROOT/scripts/test.sh" -m reliability "$@"
