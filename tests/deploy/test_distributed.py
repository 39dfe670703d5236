"""What only the distributed deployment has: two controllers sharing throttles, two invokers
sharing load, and an invoker killed mid-run (real Kafka, PostgreSQL and Docker)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import aiohttp
import pytest

from tests.deploy.conftest import ECHO, SLEEPY, Caller, build_stack
from tests.harness import Stack

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture(scope="module")
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    # a long entity cache: only the invalidation between controllers can make an update visible;
    # debug logs: the invokers log each activation they accept only at debug level
    running = build_stack(
        request,
        "distributed",
        tmp_path_factory.mktemp("cluster"),
        controllers=2,
        invokers=2,
        extra_env={"WHISK_ENTITY_CACHE_SECONDS": "60", "WHISK_LOG_LEVEL": "debug"},
    )
    try:
        yield running
    finally:
        running.stop()


def accepted_by(stack: Stack, activation_id: str) -> str | None:
    """Which invoker took the activation, from the invokers' own logs."""
    for name in ("invoker0", "invoker1"):
        for line in stack.log_text(name).splitlines():
            if activation_id in line and '"activation accepted"' in line:
                return name
    return None


async def test_every_controller_sees_both_invokers_ready(
    cluster: Stack, session: aiohttp.ClientSession
) -> None:
    for host in cluster.apihosts:
        async with session.get(f"{host}/invokers/ready") as resp:
            assert (resp.status, await resp.json()) == (200, {"healthy": "2/2"})
        async with session.get(f"{host}/invokers/healthy/count") as resp:
            assert await resp.json() == 2


async def test_throttle_counts_across_controllers(
    cluster: Stack, session: aiohttp.ClientSession
) -> None:
    key = cluster.new_namespace(invocationsPerMinute=3)
    first = Caller(session, cluster.apihosts[0], key)
    second = Caller(session, cluster.apihosts[1], key)
    await first.action("echo", ECHO)
    statuses = []
    for caller in (first, second, first):
        statuses.append((await caller.call("POST", "actions/echo", {}))[0])
        # each controller admits from memory and learns the other's counts at the next
        # reconciliation (WHISK_ADMISSION_SYNC_MS, 50 ms): wait past one
        await asyncio.sleep(0.3)
    assert statuses == [202, 202, 202]
    status, reply = await second.call("POST", "actions/echo", {})
    assert status == 429
    assert reply["error"] == "Too many requests in the last minute (count: 4, allowed: 3)."


async def test_an_update_on_one_controller_is_seen_at_once_by_the_other(
    cluster: Stack, session: aiohttp.ClientSession
) -> None:
    key = cluster.new_namespace()
    first = Caller(session, cluster.apihosts[0], key)
    second = Caller(session, cluster.apihosts[1], key)
    await first.action("greet", "def main(a):\n    return {'v': 1}\n")
    status, reply = await second.call("POST", "actions/greet", {}, blocking="true", result="true")
    assert (status, reply) == (200, {"v": 1})  # now cached on the second controller
    await first.action("greet", "def main(a):\n    return {'v': 2}\n")
    deadline = time.monotonic() + 5  # far below the 60 s cache: only invalidation explains v2
    while True:
        status, reply = await second.call(
            "POST", "actions/greet", {}, blocking="true", result="true"
        )
        if reply == {"v": 2}:
            break
        assert time.monotonic() < deadline, reply
        await asyncio.sleep(0.1)


async def test_two_invokers_share_the_load(cluster: Stack, session: aiohttp.ClientSession) -> None:
    caller = Caller(session, cluster.apihost, cluster.new_namespace())
    names = [f"echo{i}" for i in range(8)]
    for name in names:
        await caller.action(name, ECHO)
    replies = await asyncio.gather(
        *(caller.call("POST", f"actions/{n}", {}, blocking="true") for n in names)
    )
    assert {status for status, _ in replies} == {200}
    takers = {accepted_by(cluster, record["activationId"]) for _, record in replies}
    assert takers == {"invoker0", "invoker1"}


async def test_invoker_killed_mid_run_fails_its_activation_and_work_moves_on(
    cluster: Stack, session: aiohttp.ClientSession
) -> None:
    caller = Caller(session, cluster.apihost, cluster.new_namespace())
    await caller.action("sleepy", SLEEPY, timeout=8_000)
    status, reply = await caller.call("POST", "actions/sleepy", {"seconds": 6})
    assert status == 202
    aid = reply["activationId"]
    deadline = time.monotonic() + 30
    victim = None
    while victim is None and time.monotonic() < deadline:
        victim = accepted_by(cluster, aid)
        await asyncio.sleep(0.1)
    assert victim is not None, "no invoker took the activation"
    cluster.kill(victim)

    record = await caller.wait_record(aid, within_s=60)
    assert record["response"]["status"] == "whisk internal error"

    async def health() -> dict[str, str]:
        async with session.get(f"{cluster.apihost}/invokers") as resp:
            return json.loads(await resp.text())  # type: ignore[no-any-return]

    while (await health())[victim] != "down":
        assert time.monotonic() < deadline + 30, await health()
        await asyncio.sleep(0.2)
    await caller.action("echo", ECHO)
    for i in range(4):
        status, result = await caller.call("POST", "actions/echo", {"i": i}, blocking="true")
        assert status == 200, result
