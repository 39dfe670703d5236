"""A controller restarted while a blocking caller waits: the caller gets its activation id
(202, not a 503 that would invite a second run), the activation still completes on its
invoker, and the restarted controller serves its record."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from tests.deploy.conftest import SLEEPY, Caller, build_stack
from tests.harness import Stack

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture(scope="module")
def small_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    running = build_stack(request, "distributed", tmp_path_factory.mktemp("restart"), invokers=1)
    try:
        yield running
    finally:
        running.stop()


async def test_controller_restart_gives_waiting_callers_a_clean_error(
    small_stack: Stack, session: aiohttp.ClientSession
) -> None:
    caller = Caller(session, small_stack.apihost, small_stack.new_namespace())
    await caller.action("sleepy", SLEEPY, timeout=20_000)
    waiting = asyncio.create_task(
        caller.call("POST", "actions/sleepy", {"seconds": 4}, blocking="true")
    )
    await asyncio.sleep(1.5)
    exit_code = await asyncio.to_thread(small_stack.terminate, "controller0")
    status, reply = await waiting
    assert status == 202, reply
    assert exit_code == 0

    await asyncio.to_thread(small_stack.restart, "controller0", f"{small_stack.apihost}/ping")
    # it may still be running: ask for running activations too (hidden by default)
    status, listed = await caller.call("GET", "activations", name="sleepy", pending="true")
    assert status == 200 and [a["activationId"] for a in listed] == [reply["activationId"]]
    record = await caller.wait_record(reply["activationId"])
    assert record["response"]["result"] == {"slept": 4}
