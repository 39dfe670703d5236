"""What only the local broker does: clients in other processes that die, a broker that stops,
cancelled polls, and the socket file."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from whisk.bus import open_bus
from whisk.bus.local import LocalBroker, LocalBus
from whisk.bus.memory import MemoryBus
from whisk.errors import InvalidArgument, Unavailable

ROOT = Path(__file__).resolve().parents[2]


def test_open_bus_picks_the_local_client_without_connecting() -> None:
    bus = open_bus("local:///nowhere/bus.sock")
    assert isinstance(bus, LocalBus)
    assert bus.path == "/nowhere/bus.sock"
    with pytest.raises(InvalidArgument):
        open_bus("local://relative/bus.sock")


async def test_local_bus_without_a_broker_is_unavailable(tmp_path: Path) -> None:
    bus = open_bus(f"local://{tmp_path}/none.sock")
    with pytest.raises(Unavailable):
        await bus.producer()


async def test_local_bus_owner_and_client_share_the_served_bus(
    local_broker: LocalBroker, topic: str
) -> None:
    client = open_bus(local_broker.url)
    owner_side = await local_broker.bus.consumer(topic, "g")
    producer = await client.producer()
    await asyncio.gather(*(producer.send(topic, str(i).encode()) for i in range(50)))

    got = await owner_side.poll(100, timeout_s=5)

    assert [r.value for r in got] == [str(i).encode() for i in range(50)]  # pipelined, in order
    await client.close()


async def test_local_bus_disconnected_client_leaves_its_records_to_the_next_member(
    local_broker: LocalBroker, topic: str
) -> None:
    first = open_bus(local_broker.url)
    second = open_bus(local_broker.url)
    producer = await local_broker.bus.producer()
    taker = await first.consumer(topic, "g")
    await producer.send(topic, b"a")
    assert [r.value for r in await taker.poll(10, timeout_s=5)] == [b"a"]
    await taker.commit()
    await producer.send(topic, b"b")
    await producer.send(topic, b"c")
    assert [r.value for r in await taker.poll(10, timeout_s=5)] == [b"b", b"c"]  # not committed
    successor = await second.consumer(topic, "g")
    waiting = asyncio.create_task(successor.poll(10, timeout_s=60))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the first member still owns the topic

    connection = await first.connection()  # type: ignore[attr-defined]
    connection.transport.abort()  # as when its process dies

    assert [r.value for r in await waiting] == [b"b", b"c"]
    await second.close()
    await first.close()


async def test_local_bus_client_killed_in_another_process_leaves_its_records(
    local_broker: LocalBroker, topic: str
) -> None:
    producer = await local_broker.bus.producer()
    await producer.send(topic, b"taken-not-committed")
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from whisk.bus import open_bus

        async def main():
            bus = open_bus({local_broker.url!r})
            consumer = await bus.consumer({topic!r}, "g")
            records = await consumer.poll(10, timeout_s=30)
            print(len(records), flush=True)
            await asyncio.sleep(600)

        asyncio.run(main())
        """
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        assert (await child.stdout.readline()).strip() == b"1"
        successor = await local_broker.bus.consumer(topic, "g")
        waiting = asyncio.create_task(successor.poll(10, timeout_s=60))
        await asyncio.sleep(0.05)
        assert not waiting.done()

        child.send_signal(signal.SIGKILL)

        assert [r.value for r in await waiting] == [b"taken-not-committed"]
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()


async def test_local_bus_clients_get_unavailable_when_the_broker_stops(tmp_path: Path) -> None:
    broker = LocalBroker(MemoryBus(), Path(f"/tmp/whisk-test-{os.getpid()}-stop.sock"))
    await broker.start()
    client = open_bus(broker.url)
    consumer = await client.consumer("stopping", "g")
    producer = await client.producer()
    waiting = asyncio.create_task(consumer.poll(10, timeout_s=60))
    await asyncio.sleep(0.05)

    await broker.stop()

    with pytest.raises(Unavailable):
        await waiting
    with pytest.raises(Unavailable):
        await producer.send("stopping", b"x")
    with pytest.raises(Unavailable):
        await client.ensure_topic("other")
    assert not broker.path.exists()
    await client.close()
    await broker.bus.close()


async def test_local_bus_cancelled_poll_loses_nothing(
    local_broker: LocalBroker, topic: str
) -> None:
    client = open_bus(local_broker.url)
    consumer = await client.consumer(topic, "g")
    producer = await local_broker.bus.producer()

    # Given a poll cancelled while it waits
    waiting = asyncio.create_task(consumer.poll(10, timeout_s=60))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    # And a poll cancelled just as a record arrives (the broker answers it before the cancel)
    racing = asyncio.create_task(consumer.poll(10, timeout_s=60))
    await asyncio.sleep(0.05)
    await producer.send(topic, b"one")
    racing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await racing
    await producer.send(topic, b"two")

    # Then the next polls return every record once, in order
    got: list[bytes] = []
    while len(got) < 2:
        got += [r.value for r in await consumer.poll(10, timeout_s=5)]
    assert got == [b"one", b"two"]
    await client.close()


async def test_local_broker_replaces_a_stale_socket_and_refuses_a_live_one() -> None:
    path = Path(f"/tmp/whisk-test-{os.getpid()}-stale.sock")
    with open(path, "w") as stale:  # noqa: ASYNC230 (a test's set-up)
        stale.write("left by a dead process")
    broker = LocalBroker(MemoryBus(), path)
    await broker.start()
    try:
        assert os.stat(path).st_mode & 0o777 == 0o600
        with pytest.raises(Unavailable):
            await LocalBroker(MemoryBus(), path).start()
    finally:
        await broker.stop()
        await broker.bus.close()
