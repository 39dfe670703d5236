"""A controller running two workers on one port (``WHISK_CONTROLLER_WORKERS=2``): both serve
invokes, blocking and not, with correct records; a rule and a once-alarm fire once; SIGTERM to
the parent stops both (real Kafka, PostgreSQL and Docker)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import aiohttp
import pytest

from tests.deploy.conftest import ECHO, Caller, build_stack
from tests.deploy.test_feeds import feed, feed_trigger, until_count
from tests.harness import Stack
from whisk.bus import open_bus

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

WORKERS = 2


@pytest.fixture(scope="module")
def workers_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    running = build_stack(
        request,
        "distributed",
        tmp_path_factory.mktemp("workers"),
        invokers=1,
        extra_env={"WHISK_CONTROLLER_WORKERS": str(WORKERS)},
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def fresh_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A new connection per request, so the kernel spreads them over the workers."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=120)
    ) as s:
        yield s


@pytest.fixture
async def caller(workers_stack: Stack, fresh_session: aiohttp.ClientSession) -> Caller:
    # every worker must have seen the invoker's ping: ask until 20 answers in a row say so
    loop = asyncio.get_running_loop()
    deadline, in_a_row = loop.time() + 60, 0
    while in_a_row < 20:
        async with fresh_session.get(f"{workers_stack.apihost}/invokers/ready") as resp:
            in_a_row = in_a_row + 1 if resp.status == 200 else 0
        assert loop.time() < deadline, "not every worker saw the invoker up"
    return Caller(fresh_session, workers_stack.apihost, workers_stack.new_namespace())


async def acks_on(stack: Stack, kafka: str, worker_id: int) -> int:
    """How many acknowledgements reached worker ``worker_id``'s ``completed`` topic."""
    prefix = stack.env["WHISK_KAFKA_TOPIC_PREFIX"]
    bus = open_bus(f"kafka://{kafka}")
    try:
        consumer = await bus.consumer(f"{prefix}completed{worker_id}", f"{prefix}witness")
        seen = 0
        for _ in range(6):
            seen += len(await consumer.poll(1000, timeout_s=1.0))
        return seen
    finally:
        await bus.close()


async def test_both_workers_serve_blocking_and_non_blocking_invokes(
    workers_stack: Stack, caller: Caller, kafka_bootstrap: str
) -> None:
    await caller.action("echo", ECHO)
    for n in range(20):
        status, reply = await caller.call("POST", "actions/echo", {"n": n}, blocking="true")
        assert status == 200, reply
        assert reply["response"]["result"] == {"n": n}
        assert reply["response"]["status"] == "success"
    accepted: dict[str, int] = {}
    for n in range(20):
        status, reply = await caller.call("POST", "actions/echo", {"n": n})
        assert status == 202, reply
        accepted[reply["activationId"]] = n
    for activation_id, n in accepted.items():
        record = await caller.wait_record(activation_id)
        assert record["response"]["result"] == {"n": n}
        assert record["name"] == "echo" and record["duration"] >= 0
    # both workers published activations and got their acks on their own topics
    counts = [await acks_on(workers_stack, kafka_bootstrap, w) for w in range(WORKERS)]
    assert sum(counts) >= 40 and all(c > 0 for c in counts), counts


async def test_a_rule_fires_once_per_trigger_fire(caller: Caller) -> None:
    await caller.action("ruled", ECHO)
    assert (await caller.call("PUT", "triggers/tock", {}))[0] == 200
    status, reply = await caller.call(
        "PUT", "rules/onTock", {"trigger": "/_/tock", "action": "/_/ruled"}
    )
    assert status == 200, reply
    status, reply = await caller.call("POST", "triggers/tock", {"x": 1})
    assert status == 202, reply
    assert await until_count(caller, "ruled", 1) == 1
    await asyncio.sleep(2)  # a second firing, if there were one, would land by now
    assert await until_count(caller, "ruled", 1) == 1


async def test_a_once_alarm_fires_once_across_workers(caller: Caller) -> None:
    await caller.action("alarmed", ECHO)
    await feed_trigger(caller, "soon", "alarmed", "alarms/once")
    when = datetime.fromtimestamp(time.time() + 2, tz=UTC).isoformat()
    status, reply = await feed(caller, "alarms/once", "CREATE", "soon", date=when)
    assert status == 200, reply
    assert await until_count(caller, "alarmed", 1) == 1
    await asyncio.sleep(3)  # every worker's alarm provider has passed the date by now
    assert await until_count(caller, "alarmed", 1) == 1


def test_sigterm_to_the_parent_stops_every_worker(workers_stack: Stack) -> None:
    # runs last in this module: it takes the controller down
    text = workers_stack.log_text("controller0")
    pids = [
        json.loads(line)["pid"]
        for line in text.splitlines()
        if '"controller worker started"' in line
    ]
    assert len(pids) == WORKERS, text[-2000:]
    assert workers_stack.terminate("controller0") == 0
    for pid in pids:  # reaped by the parent before it exited
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
