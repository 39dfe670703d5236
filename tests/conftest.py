"""Session fixtures every suite may use: real services started by the project's scripts.

Missing services skip on a laptop and FAIL when ``CI=true``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.bus.conftest import kafka_bootstrap  # noqa: F401  (session fixture: a real broker)

ROOT = Path(__file__).resolve().parents[1]


def service_missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A real PostgreSQL server's URL (``WHISK_TEST_PG_URL`` or ``scripts/postgres.sh``)."""
    given = os.environ.get("WHISK_TEST_PG_URL")
    if given:
        return given
    try:
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "postgres.sh")],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        service_missing(f"scripts/postgres.sh could not run: {exc}")
        raise
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        service_missing(
            f"no PostgreSQL: scripts/postgres.sh exited {done.returncode}\n{done.stderr}"
        )
    return lines[-1]


@pytest.fixture(scope="session")
def npm_clients() -> Path:
    """The directory holding node_modules/openwhisk (scripts/npm-clients.sh installs it)."""
    base = os.environ.get("WHISK_NPM_CLIENTS") or str(
        Path(os.environ.get("WHISK_CACHE_DIR") or Path.home() / ".cache" / "whisk") / "npm-clients"
    )
    path = Path(base)
    if not (path / "node_modules" / "openwhisk" / "package.json").exists():
        service_missing(
            f"the openwhisk npm client is not installed in {path} (scripts/npm-clients.sh)"
        )
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the reliability suite's tables (fault table, load figures, ...) after the run."""
    from tests.reliability_report import TABLES, render

    for name in TABLES:
        terminalreporter.write_line("")
        for line in render(name).splitlines():
            terminalreporter.write_line(line)
