"""Intra-container concurrency, as OpenWhisk deployments configure it: with the system's
maximum raised (WHISK_LIMIT_CONCURRENCY_MAX), an action whose ``concurrency`` limit allows it
runs several activations at once in one container."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from tests.deploy.conftest import FAST_FAILURE_ENV, Caller
from tests.harness import Stack, start_standalone

SLOW_PID = (
    "import os, time\n"
    "def main(args):\n"
    "    time.sleep(1.0)\n"
    "    return {'pid': os.getpid()}\n"
)


@pytest.fixture(scope="module")
def roomy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_standalone(
        tmp_path_factory.mktemp("concurrency"),
        {**FAST_FAILURE_ENV, "WHISK_LIMIT_CONCURRENCY_MAX": "10"},
    )
    try:
        yield stack
    finally:
        stack.stop()


async def test_concurrent_activations_share_one_container(roomy: Stack) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        caller = Caller(session, roomy.apihost, roomy.new_namespace())
        status, reply = await caller.call(
            "PUT",
            "actions/slow",
            {"exec": {"kind": "python:3.11", "code": SLOW_PID}, "limits": {"concurrency": 4}},
        )
        assert status == 200, reply
        assert reply["limits"]["concurrency"] == 4
        status, _ = await caller.call("POST", "actions/slow", {}, blocking="true")  # warm
        assert status == 200
        answers = await asyncio.gather(
            *(caller.call("POST", "actions/slow", {}, blocking="true") for _ in range(4))
        )
        assert {status for status, _ in answers} == {200}, answers
        records = [record for _, record in answers]
        assert len({r["response"]["result"]["pid"] for r in records}) == 1  # one container
        first_end = min(r["end"] for r in records)
        assert all(r["start"] < first_end for r in records)  # they overlapped
        status, reply = await caller.call(
            "PUT",
            "actions/slow",
            {"exec": {"kind": "python:3.11", "code": SLOW_PID}, "limits": {"concurrency": 11}},
            overwrite="true",
        )
        assert status == 400, reply  # past the system's maximum
