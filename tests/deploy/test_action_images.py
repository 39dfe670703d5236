"""An action whose Docker image does not exist fails on its own and never takes the engine down.

Standalone on Docker (``WHISK_INVOKER_FACTORY=docker``). As OpenWhisk: the invoker tries to pull
the image, the failed pull is the developer's error (502 on a blocking invoke, "action
developer error", ``Failed to pull container image '...'.``), its ack is not a system error, so
the invoker stays up and every other action runs as before. Before this, each such invoke was a
whisk internal error: four of them marked the only invoker unhealthy and every tenant got 503.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from tests.deploy.conftest import ECHO, FAST_FAILURE_ENV, Caller
from tests.harness import Stack, start_standalone
from tests.integration.conftest import docker_engine  # noqa: F401 - a fixture

pytestmark = pytest.mark.docker

# no registry has it (nor can it be pulled where one is reachable)
MISSING = f"whisk-test/no-such-image-{uuid.uuid4().hex[:8]}:latest"


@pytest.fixture(scope="module")
def docker_stack(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:  # noqa: F811
    env = {**FAST_FAILURE_ENV, "WHISK_INVOKER_FACTORY": "docker"}
    running = start_standalone(tmp_path_factory.mktemp("images"), env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def docker_caller(docker_stack: Stack) -> AsyncIterator[Caller]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        yield Caller(session, docker_stack.apihost, docker_stack.new_namespace())


async def invokers(caller: Caller) -> Any:
    async with caller.session.get(f"{caller.apihost}/invokers") as resp:
        assert resp.status == 200
        return await resp.json()


async def test_missing_image_is_a_developer_error_and_the_invoker_stays_up(
    docker_caller: Caller,
) -> None:
    caller = docker_caller
    blackbox = {"exec": {"kind": "blackbox", "image": MISSING}}
    status, reply = await caller.call("PUT", "actions/nosuchimage", blackbox, overwrite="true")
    assert status == 200, reply
    await caller.action("echo", ECHO)

    missing: list[tuple[int, Any]] = []
    echoes: list[tuple[int, Any]] = []
    for n in range(10):
        missing.append(await caller.call("POST", "actions/nosuchimage", {}, blocking="true"))
        echoes.append(await caller.call("POST", "actions/echo", {"n": n}, blocking="true"))
    health = await invokers(caller)
    after = await caller.call("POST", "actions/echo", {"n": "after"}, blocking="true")
    stored = await caller.wait_record(missing[-1][1]["activationId"])
    listed = await caller.call("GET", "activations", name="nosuchimage", limit="10")

    assert [status for status, _ in missing] == [502] * 10
    for _, record in missing:
        response = record["response"]
        assert response["status"] == "action developer error"
        assert response["success"] is False
        assert response["result"] == {"error": f"Failed to pull container image '{MISSING}'."}
    assert [status for status, _ in echoes] == [200] * 10
    assert [record["response"]["result"] for _, record in echoes] == [{"n": n} for n in range(10)]
    assert health == {"invoker0": "up"}
    assert after[0] == 200
    assert stored["response"]["status"] == "action developer error"
    assert stored["response"]["result"] == missing[-1][1]["response"]["result"]
    # the list's statusCode says what the records' response.status says: developer error (2)
    assert listed[0] == 200
    assert [summary["statusCode"] for summary in listed[1]] == [2] * 10
