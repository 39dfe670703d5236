"""The Kafka provider (the only aiokafka code of the feeds): one consumer per active
``kafkaFeed`` registration, in consumer group ``whisk-feed-<registration id>``.

Every controller runs a consumer for every registration; the group gives each partition to one
of them, so each message is fired once. Offsets are committed only after the fire was accepted
(auto-commit off); a partition taken away in a rebalance first waits for the batch in hand to be
fired and committed. A new registration reads the messages produced after it was created.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from controller.feeds.firing import FeedFirer, FireOutcome
from controller.feeds.kafka_messages import KafkaSpec, Record, batches, kafka_spec, payload_of
from controller.feeds.lifecycle import KAFKA
from whisk.errors import WhiskError
from whisk.store.ports import FeedRegistration, FeedStatus, FeedStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class KafkaProviderConfig:
    owner: str
    sync_s: float = 1.0  # how often the set of registrations is re-read
    poll_ms: int = 500
    retries: int = 6  # throttled fires, as OpenWhisk's provider
    retry_s: float = 1.0


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, feed: FeedConsumer) -> None:
        self._feed = feed

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._feed.lock:  # let the batch in hand be fired and committed
            pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._feed.position_new(list(assigned))


class FeedConsumer:
    def __init__(
        self,
        reg: FeedRegistration,
        spec: KafkaSpec,
        firer: FeedFirer,
        feeds: FeedStore,
        config: KafkaProviderConfig,
    ) -> None:
        self.reg = reg
        self._spec = spec
        self._firer = firer
        self._feeds = feeds
        self._config = config
        self.lock = asyncio.Lock()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=list(spec.brokers),
            client_id=f"whisk-feed-{config.owner}",
            group_id=f"whisk-feed-{reg.registration_id}",
            enable_auto_commit=False,
            auto_offset_reset="latest",
            metadata_max_age_ms=5_000,  # see a topic created after the feed
        )
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"feed-{self.reg.registration_id}")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._consumer.stop()

    async def position_new(self, partitions: list[TopicPartition]) -> None:
        """Partitions this group never committed start at the registration's creation."""
        fresh = [tp for tp in partitions if await self._consumer.committed(tp) is None]
        if not fresh:
            return
        found = await self._consumer.offsets_for_times({tp: self.reg.created_ms for tp in fresh})
        for tp in fresh:
            at = found.get(tp)
            if at is None:
                await self._consumer.seek_to_end(tp)
            else:
                self._consumer.seek(tp, at.offset)

    async def _run(self) -> None:
        consumer = self._consumer
        while True:
            try:
                consumer.subscribe([self._spec.topic], listener=_Rebalance(self))
                await consumer.start()
                break
            except KafkaError as exc:
                log.warning("kafka feed cannot connect", topic=self._spec.topic, error=str(exc))
                await asyncio.sleep(self._config.retry_s * 5)
        while True:
            data = await consumer.getmany(timeout_ms=self._config.poll_ms, max_records=500)
            if data and not await self._handle(data):
                return

    async def _handle(self, data: dict[TopicPartition, list[Any]]) -> bool:
        """Fire and commit one poll's records; False when the registration must stop."""
        async with self.lock:
            owned = self._consumer.assignment()
            records: list[Record] = []
            ends: dict[TopicPartition, int] = {}
            for tp, messages in data.items():
                if tp not in owned or not messages:
                    continue
                committed = await self._consumer.committed(tp) or 0
                fresh = [m for m in messages if m.offset >= committed]
                records += [Record(m.topic, m.partition, m.offset, m.key, m.value) for m in fresh]
                ends[tp] = messages[-1].offset + 1
            for group in batches(records, self._spec):
                outcome = await self._fire(payload_of(group))
                if outcome is FireOutcome.GONE:
                    await self._feeds.set_feed_status(
                        self.reg.registration_id, FeedStatus.DISABLED, "the trigger is gone"
                    )
                    return False
            if ends:
                try:
                    await self._consumer.commit(ends)
                except CommitFailedError as exc:
                    log.warning("kafka feed commit failed", error=str(exc))
            return True

    async def _fire(self, payload: dict[str, Any]) -> FireOutcome:
        outcome = FireOutcome.RETRY
        for _ in range(self._config.retries):
            outcome = await self._firer.fire(self.reg, payload)
            if outcome is not FireOutcome.RETRY:
                return outcome
            await asyncio.sleep(self._config.retry_s)
        log.warning("kafka feed gave up a batch", trigger=self.reg.trigger)
        return outcome


class KafkaProvider:
    def __init__(self, feeds: FeedStore, firer: FeedFirer, config: KafkaProviderConfig) -> None:
        self._feeds = feeds
        self._firer = firer
        self._config = config
        self._consumers: dict[str, FeedConsumer] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("kafka feeds sync failed")
            await asyncio.sleep(self._config.sync_s)

    async def sync(self) -> None:
        """Start a consumer per active registration, stop those of the others."""
        wanted = {
            r.registration_id: r for r in await self._feeds.list_feeds(KAFKA, FeedStatus.ACTIVE)
        }
        for reg_id in [r for r in self._consumers if r not in wanted]:
            await self._consumers.pop(reg_id).stop()
        for reg_id, reg in wanted.items():
            running = self._consumers.get(reg_id)
            if running is not None and running.task is not None and not running.task.done():
                continue
            if running is not None:
                await running.stop()
            try:
                spec = kafka_spec(reg.params)
            except WhiskError as exc:
                await self._feeds.set_feed_status(reg_id, FeedStatus.DISABLED, exc.message)
                continue
            consumer = FeedConsumer(reg, spec, self._firer, self._feeds, self._config)
            consumer.start()
            self._consumers[reg_id] = consumer

    async def close(self) -> None:
        for consumer in self._consumers.values():
            await consumer.stop()
        self._consumers.clear()
