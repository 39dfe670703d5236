"""Kafka going away and coming back, on a broker of the test's own (the shared one keeps
serving the other tests): the API answers 503 with a clear error meanwhile, and recovers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.deploy.conftest import ECHO, FAST_FAILURE_ENV, Caller
from tests.harness import ROOT, Stack, free_port, start_distributed

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def broker(command: str, port: int, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WHISK_KAFKA_PORT": str(port), "WHISK_KAFKA_DIR": str(state)}
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "kafka.sh"), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def outage_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, int, Path]]:
    request.getfixturevalue("kafka_bootstrap")  # the jars are fetched (or CI fails here)
    pg = request.getfixturevalue("postgres_url")
    port = free_port()
    state = tmp_path_factory.mktemp("kafka-outage")
    started = broker("start", port, state)
    assert started.returncode == 0, started.stderr
    stack = start_distributed(
        tmp_path_factory.mktemp("outage"),
        pg,
        f"127.0.0.1:{port}",
        invokers=1,
        extra_env=FAST_FAILURE_ENV,
    )
    try:
        yield stack, port, state
    finally:
        stack.stop()
        broker("stop", port, state)


async def test_kafka_outage_answers_503_then_recovers(
    outage_stack: tuple[Stack, int, Path], session: aiohttp.ClientSession
) -> None:
    stack, port, state = outage_stack
    caller = Caller(session, stack.apihost, stack.new_namespace())
    await caller.action("echo", ECHO)
    status, _ = await caller.call("POST", "actions/echo", {"n": 1}, blocking="true")
    assert status == 200

    assert broker("stop", port, state).returncode == 0
    began = time.monotonic()
    status, reply = await caller.call("POST", "actions/echo", {"n": 2}, blocking="true")
    assert status == 503, reply
    assert set(reply) == {"error", "code"}
    assert time.monotonic() - began < 40

    assert broker("start", port, state).returncode == 0
    deadline = time.monotonic() + 120
    while True:
        status, reply = await caller.call("POST", "actions/echo", {"n": 3}, blocking="true")
        if status == 200:
            break
        assert status == 503, reply
        assert time.monotonic() < deadline, "no recovery after Kafka came back"
        await asyncio.sleep(1)
    assert reply["response"]["result"] == {"n": 3}
