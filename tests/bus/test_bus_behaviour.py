"""The bus port's behaviour, run unchanged on the in-process bus and on a real Kafka broker."""

from __future__ import annotations

import asyncio

import pytest

from whisk.bus import Bus, Consumer, Record
from whisk.errors import InvalidArgument, PayloadTooLarge, Unavailable

MARKER = b"marker"


async def send_all(bus: Bus, topic: str, values: list[bytes]) -> None:
    producer = await bus.producer()
    for value in values:
        await producer.send(topic, value, key=b"k-" + value)
    await producer.close()


async def collect(consumer: Consumer, count: int, *, max_records: int = 100) -> list[Record]:
    """Poll until ``count`` records arrived (the test timeout bounds the wait)."""
    got: list[Record] = []
    while len(got) < count:
        got += await consumer.poll(min(max_records, count - len(got)), timeout_s=0.5)
    return got


async def collect_until_marker(consumer: Consumer) -> list[bytes]:
    got: list[bytes] = []
    while MARKER not in got:
        got += [r.value for r in await consumer.poll(100, timeout_s=0.5)]
    return got


def values(n: int, prefix: str = "m") -> list[bytes]:
    return [f"{prefix}{i}".encode() for i in range(n)]


async def test_bus_delivers_records_in_order(bus: Bus, topic: str, group: str) -> None:
    await bus.ensure_topic(topic)
    await send_all(bus, topic, values(20))
    consumer = await bus.consumer(topic, group)

    records = await collect(consumer, 20)

    assert [r.value for r in records] == values(20)
    assert [r.key for r in records] == [b"k-" + v for v in values(20)]
    assert [r.offset for r in records] == sorted(r.offset for r in records)
    assert {r.topic for r in records} == {topic}


async def test_bus_waiting_consumer_wakes_when_a_record_arrives(
    bus: Bus, topic: str, group: str
) -> None:
    consumer = await bus.consumer(topic, group)
    waiting = asyncio.create_task(consumer.poll(10, timeout_s=60))
    await asyncio.sleep(0)

    await send_all(bus, topic, [b"late"])

    records = await waiting
    while not records:  # a Kafka consumer may still have been joining its group
        records = await consumer.poll(10, timeout_s=60)
    assert [r.value for r in records] == [b"late"]


async def test_bus_poll_returns_nothing_from_an_empty_topic(
    bus: Bus, topic: str, group: str
) -> None:
    consumer = await bus.consumer(topic, group)
    assert await consumer.poll(5, timeout_s=0.2) == []


async def test_bus_groups_each_see_every_record(bus: Bus, topic: str, group: str) -> None:
    await bus.ensure_topic(topic)
    first = await bus.consumer(topic, group + "-a")
    second = await bus.consumer(topic, group + "-b")
    await send_all(bus, topic, values(8))

    got_first = await collect(first, 8)
    await first.commit()
    got_second = await collect(second, 8)

    assert [r.value for r in got_first] == values(8)
    assert [r.value for r in got_second] == values(8)


async def test_bus_group_members_share_the_records(bus: Bus, topic: str, group: str) -> None:
    await bus.ensure_topic(topic)
    members = [await bus.consumer(topic, group), await bus.consumer(topic, group)]
    await send_all(bus, topic, values(10))

    # Given two members of one group, each committing after every batch it takes
    seen: list[list[bytes]] = [[], []]
    commit_failed = False
    while len(set(seen[0]) | set(seen[1])) < 10:
        for i, member in enumerate(members):
            batch = await member.poll(3, timeout_s=0.2)
            seen[i] += [r.value for r in batch]
            try:
                await member.commit()
            except Unavailable:  # Kafka: the group rebalanced while the second one joined
                commit_failed = True
    for member in members:
        await member.close()

    # Then the group as a whole took every record
    assert sorted(set(seen[0]) | set(seen[1])) == sorted(values(10))
    # And a later member of the group starts after what the group committed
    await send_all(bus, topic, [MARKER])
    later = await bus.consumer(topic, group)
    redelivered = await collect_until_marker(later)
    if not commit_failed:
        assert redelivered == [MARKER]
        assert sorted(seen[0] + seen[1]) == sorted(values(10))  # no record went to both
    else:
        assert set(redelivered) <= set(values(10)) | {MARKER}


async def test_bus_redelivers_uncommitted_records_to_the_next_consumer_of_the_group(
    bus: Bus, topic: str, group: str
) -> None:
    await bus.ensure_topic(topic)
    await send_all(bus, topic, values(6))
    consumer = await bus.consumer(topic, group)

    # Given a consumer that committed the first two records but not the next four
    handed_off = await collect(consumer, 2, max_records=2)
    await consumer.commit()
    not_handed_off = await collect(consumer, 4)
    await consumer.close()
    await send_all(bus, topic, [MARKER])

    # When a new consumer of the same group starts
    successor = await bus.consumer(topic, group)
    got = await collect_until_marker(successor)

    # Then it gets exactly the uncommitted records, in order
    assert [r.value for r in handed_off] == values(6)[:2]
    assert [r.value for r in not_handed_off] == values(6)[2:]
    assert got == [*values(6)[2:], MARKER]


async def test_bus_commit_after_everything_leaves_nothing_to_redeliver(
    bus: Bus, topic: str, group: str
) -> None:
    await bus.ensure_topic(topic)
    await send_all(bus, topic, values(5))
    consumer = await bus.consumer(topic, group)
    await collect(consumer, 5)
    await consumer.commit()
    await consumer.commit()  # committing twice changes nothing
    await consumer.close()
    await send_all(bus, topic, [MARKER])

    successor = await bus.consumer(topic, group)
    assert await collect_until_marker(successor) == [MARKER]


async def test_bus_poll_respects_max_records(bus: Bus, topic: str, group: str) -> None:
    await bus.ensure_topic(topic)
    await send_all(bus, topic, values(10))
    consumer = await bus.consumer(topic, group)

    batches: list[list[Record]] = []
    while sum(len(b) for b in batches) < 10:
        batch = await consumer.poll(3, timeout_s=0.5)
        if batch:
            batches.append(batch)

    assert all(1 <= len(b) <= 3 for b in batches)
    assert [r.value for b in batches for r in b] == values(10)


async def test_bus_poll_refuses_a_max_records_below_one(bus: Bus, topic: str, group: str) -> None:
    consumer = await bus.consumer(topic, group)
    with pytest.raises(InvalidArgument):
        await consumer.poll(0)


async def test_bus_ensure_topic_is_idempotent_and_the_topic_is_usable(
    bus: Bus, topic: str, group: str
) -> None:
    await bus.ensure_topic(topic, retention_ms=60_000)
    await bus.ensure_topic(topic, retention_ms=60_000)
    await send_all(bus, topic, [b"one"])
    consumer = await bus.consumer(topic, group)
    assert [r.value for r in await collect(consumer, 1)] == [b"one"]


@pytest.mark.parametrize("name", ["", "has space", "slash/ed", "x" * 250, ".."])
async def test_bus_ensure_topic_refuses_invalid_names(bus: Bus, name: str) -> None:
    with pytest.raises(InvalidArgument):
        await bus.ensure_topic(name)


async def test_bus_rejects_a_message_over_the_limit(bus: Bus, topic: str, group: str) -> None:
    await bus.ensure_topic(topic)
    producer = await bus.producer()
    big = b"x" * (2 * 1024 * 1024)
    largest_payload = b"y" * (1024 * 1024)  # the activation payload limit itself

    with pytest.raises(PayloadTooLarge):
        await producer.send(topic, big)
    await producer.send(topic, largest_payload)  # the producer still works afterwards
    await producer.send(topic, b"small")

    consumer = await bus.consumer(topic, group)
    got = await collect(consumer, 2)
    assert [r.value for r in got] == [largest_payload, b"small"]


async def test_bus_close_is_clean_and_idempotent(bus: Bus, topic: str, group: str) -> None:
    producer = await bus.producer()
    consumer = await bus.consumer(topic, group)
    await producer.send(topic, b"one")
    await collect(consumer, 1)

    await consumer.close()
    await consumer.close()
    await producer.close()
    await producer.close()

    with pytest.raises(Unavailable):
        await consumer.poll(1)
    with pytest.raises(Unavailable):
        await producer.send(topic, b"two")
    await bus.close()
    await bus.close()
    with pytest.raises(Unavailable):
        await bus.producer()


async def test_bus_close_closes_what_it_made(bus: Bus, topic: str, group: str) -> None:
    producer = await bus.producer()
    consumer = await bus.consumer(topic, group)

    await bus.close()

    with pytest.raises(Unavailable):
        await producer.send(topic, b"one")
    with pytest.raises(Unavailable):
        await consumer.poll(1)


async def test_bus_consumer_lag_counts_the_records_not_yet_taken(
    bus: Bus, topic: str, group: str
) -> None:
    await bus.ensure_topic(topic)
    await send_all(bus, topic, values(5))
    consumer = await bus.consumer(topic, group)

    await collect(consumer, 2, max_records=1)

    assert consumer.lag() == 3
    await collect(consumer, 3)
    assert consumer.lag() == 0
