"""The Kafka provider: one reader (``whisk.bus.kafka_topics``, the bus package's adapter for
topics that are not Whisk's) per active ``kafkaFeed`` registration, in consumer group
``whisk-feed-<registration id>``.

Every controller runs a consumer for every registration; the group gives each partition to one
of them, so each message is fired once. Offsets are committed only after the fire was accepted
(auto-commit off); a partition taken away in a rebalance first waits for the batch in hand to be
fired and committed. A new registration reads the messages produced after it was created.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import structlog

from controller.feeds.firing import FeedFirer, FireOutcome
from controller.feeds.kafka_messages import KafkaSpec, Record, batches, kafka_spec, payload_of
from controller.feeds.lifecycle import KAFKA
from whisk.bus.kafka_topics import TopicReader, TopicRecord
from whisk.errors import Unavailable, WhiskError
from whisk.store.ports import FeedRegistration, FeedStatus, FeedStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class KafkaProviderConfig:
    owner: str
    sync_s: float = 1.0  # how often the set of registrations is re-read
    poll_ms: int = 500
    retries: int = 6  # throttled fires, as OpenWhisk's provider
    retry_s: float = 1.0


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
        self._reader = TopicReader(
            spec.brokers,
            spec.topic,
            f"whisk-feed-{reg.registration_id}",
            client_id=f"whisk-feed-{config.owner}",
            start_at_ms=reg.created_ms,
        )
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"feed-{self.reg.registration_id}")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self._reader.close()

    async def _run(self) -> None:
        while True:
            try:
                await self._reader.start()
                break
            except Unavailable as exc:
                log.warning("kafka feed cannot connect", topic=self._spec.topic, error=exc.message)
                await asyncio.sleep(self._config.retry_s * 5)
        while True:
            async with self._reader.batch_lock:
                found = await self._reader.read(self._config.poll_ms, 500)
                if found and not await self._handle(found):
                    return

    async def _handle(self, found: list[TopicRecord]) -> bool:
        """Fire and commit one read's records; False when the registration must stop."""
        records = [Record(r.topic, r.partition, r.offset, r.key, r.value) for r in found]
        for group in batches(records, self._spec):
            outcome = await self._fire(payload_of(group))
            if outcome is FireOutcome.GONE:
                await self._feeds.set_feed_status(
                    self.reg.registration_id, FeedStatus.DISABLED, "the trigger is gone"
                )
                return False
        if not await self._reader.commit_read():
            log.warning("kafka feed commit failed: the group moved on", topic=self._spec.topic)
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
