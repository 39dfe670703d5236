"""Reading a Kafka topic that is not Whisk's own (the ``kafkaFeed`` of the messaging
package): the bus package's second aiokafka adapter, beside ``kafka.py`` (Whisk's topics), so
Kafka settings, errors and shutdown live in one package.

A ``TopicReader`` is one member of a consumer group on one topic. Auto-commit is off: the
caller commits what it read once it has handled it (``commit_read``). Handling a batch holds
``batch_lock``; a rebalance that takes partitions away waits for it, so a batch in hand is
handled and committed before its partitions move. Partitions the group never committed start
at ``start_at_ms`` (the registration's creation) rather than at the end or the beginning.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from whisk.errors import Unavailable


@dataclass(frozen=True, slots=True)
class TopicRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, reader: TopicReader) -> None:
        self._reader = reader

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._reader.batch_lock:  # let the batch in hand be handled and committed
            pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._reader.position_new(list(assigned))


class TopicReader:
    def __init__(
        self,
        brokers: tuple[str, ...] | list[str],
        topic: str,
        group_id: str,
        *,
        client_id: str,
        start_at_ms: int,
    ) -> None:
        self.topic = topic
        self._start_at_ms = start_at_ms
        self.batch_lock = asyncio.Lock()
        self._ends: dict[TopicPartition, int] = {}
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=list(brokers),
            client_id=client_id,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            metadata_max_age_ms=5_000,  # see a topic created after the reader
        )

    async def start(self) -> None:
        """Join the group; ``Unavailable`` when the brokers cannot be reached (try again)."""
        try:
            self._consumer.subscribe([self.topic], listener=_Rebalance(self))
            await self._consumer.start()
        except KafkaError as exc:
            raise Unavailable(f"kafka: cannot read {self.topic}: {exc}") from exc

    async def position_new(self, partitions: list[TopicPartition]) -> None:
        """Partitions this group never committed start at ``start_at_ms``."""
        consumer = self._consumer
        fresh = [tp for tp in partitions if await consumer.committed(tp) is None]
        if not fresh:
            return
        found = await consumer.offsets_for_times({tp: self._start_at_ms for tp in fresh})
        for tp in fresh:
            at = found.get(tp)
            if at is None:
                await consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, at.offset)

    async def read(self, timeout_ms: int, max_records: int) -> list[TopicRecord]:
        """The next records of the partitions this member owns, leaving out what the group
        already committed. Call it, and handle and ``commit_read`` what it returns, holding
        ``batch_lock``."""
        consumer = self._consumer
        data = await consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        owned = consumer.assignment()
        records: list[TopicRecord] = []
        for tp, messages in data.items():
            if tp not in owned or not messages:
                continue
            committed = await consumer.committed(tp) or 0
            records += [
                TopicRecord(m.topic, m.partition, m.offset, m.key, m.value)
                for m in messages
                if m.offset >= committed
            ]
            self._ends[tp] = messages[-1].offset + 1
        return records

    async def commit_read(self) -> bool:
        """Commit everything ``read`` returned; False when the group moved on meanwhile."""
        ends, self._ends = self._ends, {}
        if not ends:
            return True
        try:
            await self._consumer.commit(ends)
        except CommitFailedError:
            return False
        return True

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._consumer.stop()
