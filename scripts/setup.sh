#!/usr/bin/env bash
# Make (or refresh) the project's virtualenv in .venv with Whisk and its test tools installed.
# Idempotent and quick when nothing changed. Progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
say() { echo "setup.sh: $*" >&2; }

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
    say "Python 3.11 or newer is needed (found $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11"
    exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
    say "creating .venv"
    "$PY" -m venv .venv
fi
stamp=".venv/.whisk-installed"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    say "installing Whisk and its dependencies into .venv (first run takes a minute)"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e '.[test]'
    touch "$stamp"
fi
say "ready: $(.venv/bin/whisk --version 2>/dev/null || echo whisk)"
