"""End-to-end fixtures: a real Whisk deployment, driven as a client would."""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import start_distributed, start_standalone

ROOT = Path(__file__).resolve().parents[2]


def missing_service(reason: str) -> None:
    """Skip on a laptop; fail in CI, where every service must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)


@dataclass
class Running:
    apihost: str
    auth: str
    namespace: str


def _namespace_of(apihost: str, auth: str) -> str:
    request = urllib.request.Request(f"{apihost}/api/v1/namespaces")
    request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as reply:
        return str(json.loads(reply.read())[0])


@pytest.fixture(
    scope="module",
    params=[
        "standalone",
        pytest.param("distributed", marks=[pytest.mark.kafka, pytest.mark.postgres]),
    ],
)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    """A running Whisk as a user starts it: standalone, or controller + invokers over Kafka
    and PostgreSQL (tests/harness.py)."""
    home = tmp_path_factory.mktemp(request.param)
    if request.param == "standalone":
        stack = start_standalone(home)
        props = (home / "state" / ".wskprops").read_text().splitlines()
        auth = dict(line.split("=", 1) for line in props if "=" in line)["AUTH"]
    else:
        kafka = request.getfixturevalue("kafka_bootstrap")
        stack = start_distributed(home, request.getfixturevalue("postgres_url"), kafka)
        auth = stack.new_namespace()
    try:
        yield Running(stack.apihost, auth, _namespace_of(stack.apihost, auth))
    finally:
        stack.stop()
