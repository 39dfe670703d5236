"""What only the in-process bus does: bounded logs, and hand-over inside a group."""

from __future__ import annotations

import asyncio

from whisk.bus.memory import MemoryBus


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_bus_drops_records_older_than_the_retention(topic: str) -> None:
    clock = FakeClock()
    bus = MemoryBus(clock=clock)
    await bus.ensure_topic(topic, retention_ms=60_000)
    producer = await bus.producer()
    await producer.send(topic, b"old")
    clock.now += 61
    await producer.send(topic, b"new")

    consumer = await bus.consumer(topic, "g")
    records = await consumer.poll(10, timeout_s=0)

    assert [(r.offset, r.value) for r in records] == [(1, b"new")]
    await bus.close()


async def test_memory_bus_keeps_at_most_max_records_per_topic(topic: str) -> None:
    bus = MemoryBus(max_records_per_topic=3)
    producer = await bus.producer()
    for i in range(5):
        await producer.send(topic, str(i).encode())

    consumer = await bus.consumer(topic, "g")

    assert [r.value for r in await consumer.poll(10, timeout_s=0)] == [b"2", b"3", b"4"]
    await bus.close()


async def test_memory_bus_second_member_waits_until_the_first_leaves(
    memory_bus: MemoryBus, topic: str
) -> None:
    producer = await memory_bus.producer()
    first = await memory_bus.consumer(topic, "g")
    second = await memory_bus.consumer(topic, "g")
    await producer.send(topic, b"a")
    assert [r.value for r in await first.poll(10, timeout_s=0)] == [b"a"]
    await first.commit()
    await producer.send(topic, b"b")

    waiting = asyncio.create_task(second.poll(10, timeout_s=60))
    await asyncio.sleep(0)
    assert not waiting.done()
    await first.close()  # uncommitted: nothing; "b" was never taken by the first member

    assert [r.value for r in await waiting] == [b"b"]


async def test_memory_bus_close_wakes_a_waiting_poll(memory_bus: MemoryBus, topic: str) -> None:
    consumer = await memory_bus.consumer(topic, "g")
    waiting = asyncio.create_task(consumer.poll(10, timeout_s=60))
    await asyncio.sleep(0)

    await consumer.close()

    assert await waiting == []


async def test_memory_bus_records_are_copies_of_what_was_sent(
    memory_bus: MemoryBus, topic: str
) -> None:
    producer = await memory_bus.producer()
    payload = bytearray(b"abc")
    await producer.send(topic, payload)  # type: ignore[arg-type]
    payload[0:1] = b"z"

    consumer = await memory_bus.consumer(topic, "g")
    assert [r.value for r in await consumer.poll(1, timeout_s=0)] == [b"abc"]


async def test_memory_bus_drops_records_every_group_has_committed(topic: str) -> None:
    # given two groups on a topic, one of which has committed all it read
    bus = MemoryBus()
    producer = await bus.producer()
    fast, slow = await bus.consumer(topic, "fast"), await bus.consumer(topic, "slow")
    for i in range(4):
        await producer.send(topic, str(i).encode())
    assert len(await fast.poll(10, timeout_s=0)) == 4
    await fast.commit()
    log = bus.topic_log(topic)
    assert log.base == 0  # the slow group still needs them
    # when the slow group commits two, those two leave the topic; the rest stay for it
    assert [r.value for r in await slow.poll(2, timeout_s=0)] == [b"0", b"1"]
    await slow.commit()
    assert (log.base, len(log.records)) == (2, 2)
    assert [r.value for r in await slow.poll(10, timeout_s=0)] == [b"2", b"3"]
    await slow.commit()
    assert len(log.records) == 0
    await bus.close()
