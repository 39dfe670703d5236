"""The in-process bus: standalone mode and unit tests.

One ordered log per topic, a committed offset per consumer group, and one reading member per
group at a time (like a one-partition Kafka topic): the same semantics as ``kafka.KafkaBus``,
checked by the same suite in tests/bus/. Waiting consumers sleep on an ``asyncio.Condition``
that ``send`` notifies; nothing polls in a loop.

Records leave a topic when every consumer group of the topic has committed past them (no one
can be given them again: the bus lives and dies with its process), when they are older than
its retention, or when it holds more than ``max_records_per_topic`` (the oldest go first), so
a long-running standalone process holds only what is still to be read (with the last two
rules alone, it kept every activation message and ack, about 1.5 KB an activation, up to
100,000 records a topic: ``bench/controller_memory.py``). A group that joins later starts at
the oldest record kept, as a Kafka group does after retention; so does a consumer whose
position fell off the front.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from whisk.bus import topics
from whisk.bus.ports import DEFAULT_MAX_MESSAGE_BYTES, Bus, Consumer, Producer, Record
from whisk.errors import InvalidArgument, PayloadTooLarge, Unavailable

log = structlog.get_logger(__name__)


@dataclass(eq=False)
class _Group:
    committed: int = 0
    members: list[MemoryConsumer] = field(default_factory=list)


class _Log:
    def __init__(self, name: str, retention_ms: int, max_records: int, clock: Callable[[], float]):
        self.name = name
        self.retention_ms = retention_ms
        self.max_records = max_records
        self.clock = clock
        self.records: deque[tuple[float, Record]] = deque()
        self.base = 0  # offset of the oldest record kept
        self.end = 0  # offset the next record gets
        self.groups: dict[str, _Group] = {}
        self.changed = asyncio.Condition()

    def append(self, value: bytes, key: bytes | None) -> Record:
        record = Record(topic=self.name, offset=self.end, value=value, key=key)
        self.records.append((self.clock(), record))
        self.end += 1
        self.trim()
        return record

    def trim(self) -> None:
        oldest_kept = self.clock() - self.retention_ms / 1000
        read_by_all = min((g.committed for g in self.groups.values()), default=self.base)
        while self.records and (
            len(self.records) > self.max_records
            or self.records[0][0] < oldest_kept
            or self.base < read_by_all
        ):
            self.records.popleft()
            self.base += 1

    def read(self, start: int, count: int) -> list[Record]:
        first = start - self.base
        return [self.records[i][1] for i in range(first, min(first + count, len(self.records)))]


def check_message_size(value: bytes, key: bytes | None, max_bytes: int) -> None:
    """``PayloadTooLarge`` for a message past the bus's limit (as Kafka's broker refuses it)."""
    size = len(value) + len(key or b"")
    if size > max_bytes:
        raise PayloadTooLarge(f"message of {size} bytes exceeds the bus limit of {max_bytes} bytes")


class MemoryProducer(Producer):
    def __init__(self, bus: MemoryBus) -> None:
        self._bus = bus
        self._closed = False

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        if self._closed:
            raise Unavailable("the bus producer is closed")
        check_message_size(value, key, self._bus.max_message_bytes)
        topic_log = self._bus.topic_log(topic)
        async with topic_log.changed:
            topic_log.append(bytes(value), bytes(key) if key is not None else None)
            topic_log.changed.notify_all()

    async def close(self) -> None:
        self._closed = True


class MemoryConsumer(Consumer):
    def __init__(self, topic_log: _Log, group_id: str) -> None:
        self.topic = topic_log.name
        self.group_id = group_id
        self._log = topic_log
        self._group = topic_log.groups.setdefault(group_id, _Group())
        self._group.members.append(self)
        self._position: int | None = None  # set when this member starts to own the topic
        self._closed = False

    def _owns(self) -> bool:
        return bool(self._group.members) and self._group.members[0] is self

    def _ready(self) -> bool:
        if self._closed:
            return True
        if not self._owns():
            return False
        if self._position is None:
            self._position = self._group.committed
        self._log.trim()
        return self._log.end > max(self._position, self._log.base)

    async def poll(self, max_records: int, timeout_s: float = 0.5) -> list[Record]:
        if max_records < 1:
            raise InvalidArgument(f"max_records must be >= 1, got {max_records}")
        if self._closed:
            raise Unavailable("the bus consumer is closed")
        async with self._log.changed:
            try:
                async with asyncio.timeout(timeout_s):
                    await self._log.changed.wait_for(self._ready)
            except TimeoutError:
                return []
            if self._closed or self._position is None:
                return []
            batch = self._log.read(max(self._position, self._log.base), max_records)
            if batch:
                self._position = batch[-1].offset + 1
            return batch

    def lag(self) -> int | None:
        position = self._position if self._position is not None else self._group.committed
        return max(0, self._log.end - max(position, self._log.base))

    async def commit(self) -> None:
        if self._closed:
            raise Unavailable("the bus consumer is closed")
        if self._owns() and self._position is not None:
            self._group.committed = max(self._group.committed, self._position)
            self._log.trim()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._log.changed:
            if self in self._group.members:
                self._group.members.remove(self)
            self._log.changed.notify_all()


class MemoryBus(Bus):
    """An in-process bus. Share one instance between the services that talk over it."""

    def __init__(
        self,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        max_records_per_topic: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_message_bytes = max_message_bytes
        self._max_records = max_records_per_topic
        self._clock = clock
        self._logs: dict[str, _Log] = {}
        self._producers: list[MemoryProducer] = []
        self._consumers: list[MemoryConsumer] = []
        self._closed = False

    def topic_log(self, name: str, retention_ms: int | None = None) -> _Log:
        if self._closed:
            raise Unavailable("the bus is closed")
        topic_log = self._logs.get(name)
        if topic_log is None:
            retention = retention_ms if retention_ms is not None else topics.retention_ms(name)
            if retention <= 0:
                raise InvalidArgument(f"retention must be > 0 ms, got {retention}")
            topic_log = _Log(topics.validate_topic(name), retention, self._max_records, self._clock)
            self._logs[name] = topic_log
            log.debug("bus.topic_created", topic=name, retention_ms=retention)
        return topic_log

    async def producer(self) -> Producer:
        if self._closed:
            raise Unavailable("the bus is closed")
        producer = MemoryProducer(self)
        self._producers.append(producer)
        return producer

    async def consumer(self, topic: str, group_id: str) -> Consumer:
        if not group_id:
            raise InvalidArgument("a consumer needs a group id")
        consumer = MemoryConsumer(self.topic_log(topic), group_id)
        self._consumers.append(consumer)
        return consumer

    async def ensure_topic(self, name: str, retention_ms: int | None = None) -> None:
        self.topic_log(name, retention_ms)

    async def close(self) -> None:
        if self._closed:
            return
        for consumer in self._consumers:
            await consumer.close()
        for producer in self._producers:
            await producer.close()
        self._consumers.clear()
        self._producers.clear()
        self._closed = True
