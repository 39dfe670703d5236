"""Hostile input, generated: schemathesis against the swagger document a fresh standalone serves
at ``/api/v1/api-docs``, with every check on (no 5xx, responses and status codes as documented,
valid data accepted, invalid data rejected, auth not ignored), run as a user runs it: its CLI,
with the committed ``tests/api/schemathesis.toml`` and a real key. The document must be as tight
as the API, so the run also fails on schemathesis' warnings that say otherwise (operations that
reject most valid data, or answer only 401/403)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import Stack, start_standalone
from tests.reliability_report import report

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(420)]

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli"]
HEADER = (
    "run", "operations", "cases", "failures", "warnings",
    "valid: accepted/404/409/rejected", "seconds",
)  # fmt: skip
# warnings the document itself is to blame for (the others say test data was missing)
DOCUMENT_WARNINGS = ("missing_auth", "validation_mismatch")


def call(apihost: str, auth: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{apihost}/api/v1/namespaces/_/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": "Basic " + base64.b64encode(auth.encode()).decode(),
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.loads(reply.read() or b"null")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    """A standalone with the entities the configuration's dictionaries name."""
    home = tmp_path_factory.mktemp("schemathesis")
    stack = start_standalone(home)
    props = (home / "state" / ".wskprops").read_text().splitlines()
    auth = dict(line.split("=", 1) for line in props if "=" in line)["AUTH"]
    code = {"exec": {"kind": "python:3.11", "code": "def main(args):\n    return args\n"}}
    try:
        call(stack.apihost, auth, "PUT", "triggers/fuzz-trigger", {})
        call(stack.apihost, auth, "PUT", "actions/fuzz-action", code)
        call(stack.apihost, auth, "PUT", "packages/fuzz-pkg", {})
        call(stack.apihost, auth, "PUT", "actions/fuzz-pkg/fuzz-action", code)
        yield stack, auth
    finally:
        stack.stop()


def run_schemathesis(stack: Stack, auth: str, reports: Path) -> tuple[int, dict[str, Any], str]:
    token = base64.b64encode(auth.encode()).decode()
    done = subprocess.run(
        [
            *SCHEMATHESIS,
            "--config-file",
            str(CONFIG),
            "run",
            f"{stack.apihost}/api/v1/api-docs",
            "--header",
            f"Authorization: Basic {token}",
            "--no-color",
            "--report",
            "json",
            "--report-dir",
            str(reports),
        ],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
        cwd=reports,  # its cache (.schemathesis/) lands there, not in the work tree
    )
    (reports / "schemathesis.txt").write_text(done.stdout + done.stderr)
    found = sorted(reports.glob("*.json"))
    assert found, f"schemathesis wrote no report:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.returncode, json.loads(found[-1].read_text()), done.stdout


def positive_outcomes(summary: dict[str, Any]) -> str:
    """What became of the valid (positive) cases over every operation and phase: accepted,
    unreachable (404: the entity named does not exist), conflicts (409), rejected (other 4xx)."""
    totals = dict.fromkeys(("accepted", "unreachable", "conflicts", "rejected"), 0)
    for phases in summary.get("valid_rates", {}).values():
        for rate in phases.values():
            for key in totals:
                totals[key] += int(rate.get(key, 0))
    return "/".join(str(v) for v in totals.values())


def test_schemathesis_finds_nothing_against_the_served_document(
    deployment: tuple[Stack, str], tmp_path: Path
) -> None:
    stack, auth = deployment
    code, summary, output = run_schemathesis(stack, auth, tmp_path)
    cases = summary["test_cases"]
    warnings = {kind: labels for kind, labels in summary["warnings"].items() if labels}
    report(
        "hostile input",
        HEADER,
        (
            "schemathesis, all checks",
            summary["operations"]["tested"],
            cases["generated"],
            cases["unique_failures"],
            ", ".join(f"{k}: {len(v)}" for k, v in sorted(warnings.items())) or "-",
            positive_outcomes(summary),
            summary["running_time"],
        ),
    )
    tail = output[-6000:]
    assert summary["complete"], tail
    assert not summary["failures"], tail
    assert not summary["errors"], tail
    assert not {k: v for k, v in warnings.items() if k in DOCUMENT_WARNINGS}, tail
    assert code == 0, tail
    assert cases["generated"] > 1000
