#!/usr/bin/env bash
# Static checks of the layout and the types; exits non-zero when one fails (all three run).
#   ruff         lint (pyproject.toml [tool.ruff])
#   lint-imports the import contracts (.importlinter): the stack and no import circles
#   mypy         types of whisk controller invoker standalone cli (mypy.ini)
# Runs from any directory; uses the project's .venv unless WHISK_VENV names another one.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${WHISK_VENV:-$ROOT/.venv}/bin"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"  # check this checkout, not an installed copy
failed=()
run() {
    echo "== $*"
    "$@" || failed+=("$1")
}
run "$BIN/ruff" check .
run "$BIN/lint-imports" --no-cache
run "$BIN/mypy" --cache-dir "${MYPY_CACHE_DIR:-$ROOT/.cache/mypy}" whisk controller invoker standalone cli
if ((${#failed[@]})); then
    echo "check.sh: failed: ${failed[*]##*/}" >&2
    exit 1
fi
echo "check.sh: all checks passed"
