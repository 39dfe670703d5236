"""The bus port: topics of byte records, consumer groups, and commits the consumer controls.

Semantics every implementation keeps (tests/bus/ runs one suite against each):

- A topic is one ordered log (one partition, as OpenWhisk creates them). ``send`` appends.
- Consumers join a *group*. Each group sees every record of the topic; within a group one
  member at a time reads (the partition's owner), the others wait until it leaves.
- ``poll(max_records)`` returns at most ``max_records`` records, in order, or an empty list
  when nothing arrived within the timeout. The invoker asks only for what its pool can run now
  (back-pressure): records it did not ask for stay on the bus.
- ``commit()`` records, for the group, that everything returned by ``poll`` so far has been
  handed off. Records returned but not committed are delivered again to the next member of
  the same group once this consumer closes.
- A record larger than the bus's ``max_message_bytes`` raises ``PayloadTooLarge``; a bus that
  cannot be reached raises ``Unavailable``.

Implementations: ``memory.MemoryBus`` (in-process, standalone and unit tests) and
``kafka.KafkaBus`` (the only aiokafka code).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

# OpenWhisk's activation payload limit (1 MiB) plus its serialisation overhead allowance.
DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 6068


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    offset: int
    value: bytes
    key: bytes | None = None
    partition: int = 0


class Producer(abc.ABC):
    @abc.abstractmethod
    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """Append one record; returns once the bus has accepted it (Kafka: leader ack)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Flush and release the producer. Idempotent."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class Consumer(abc.ABC):
    topic: str
    group_id: str

    @abc.abstractmethod
    async def poll(self, max_records: int, timeout_s: float = 0.5) -> list[Record]:
        """Up to ``max_records`` next records (``>= 1``), or ``[]`` once ``timeout_s`` passed."""

    @abc.abstractmethod
    async def commit(self) -> None:
        """Mark every record returned by ``poll`` so far as handed off, for the whole group."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Leave the group without committing. Idempotent."""

    def lag(self) -> int | None:
        """Records on the topic this consumer has not yet been given by ``poll``, as last
        known (no I/O: Kafka's figure is the high-water mark of the last fetch); ``None`` when
        not known yet."""
        return None

    async def batches(
        self, max_records: int, timeout_s: float = 0.5
    ) -> AsyncIterator[list[Record]]:
        """Non-empty batches, forever; the caller commits after handing each one off."""
        while True:
            batch = await self.poll(max_records, timeout_s)
            if batch:
                yield batch

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class Bus(abc.ABC):
    """Makes producers and consumers and creates topics; ``close`` closes all it made."""

    max_message_bytes: int

    @abc.abstractmethod
    async def producer(self) -> Producer: ...

    @abc.abstractmethod
    async def consumer(self, topic: str, group_id: str) -> Consumer: ...

    @abc.abstractmethod
    async def ensure_topic(self, name: str, retention_ms: int | None = None) -> None:
        """Create the topic if it does not exist (``None``: the bus's default retention)."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
