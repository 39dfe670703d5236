"""Cache invalidation between controllers, as OpenWhisk's ``cacheInvalidation`` topic: every
entity a controller writes is announced; the others drop their cached copy (their entity cache
is otherwise only bounded by its TTL)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

import structlog

from whisk.bus import topics
from whisk.bus.ports import Bus, Consumer, Producer
from whisk.errors import MalformedRequest, WhiskError
from whisk.messages import CacheInvalidationMessage
from whisk.store.cache import CachingStore
from whisk.store.ports import EntityKey

log = structlog.get_logger(__name__)


def key_of_path(path: str) -> EntityKey | None:
    parts = path.split("/")
    if len(parts) == 2:
        return EntityKey(parts[0], parts[1])
    if len(parts) == 3:
        return EntityKey(parts[0], parts[2], parts[1])
    return None


class CacheSync:
    def __init__(self, bus: Bus, cache: CachingStore, instance: str, prefix: str = "") -> None:
        self._bus = bus
        self._cache = cache
        self._instance = instance
        self._topic = prefix + topics.CACHE_INVALIDATION
        self._group = f"{prefix}{topics.CACHE_INVALIDATION}{instance}"
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self._bus.ensure_topic(self._topic, topics.CACHE_INVALIDATION_RETENTION_MS)
        self._producer = await self._bus.producer()
        self._consumer = await self._bus.consumer(self._topic, self._group)
        self._spawn(self._listen(self._consumer))
        self._cache.on_write = self.announce

    def announce(self, keys: list[EntityKey]) -> None:
        """Tell the other controllers (in the background: the write already happened)."""
        if self._producer is not None:
            self._spawn(self._send(self._producer, keys))

    async def _send(self, producer: Producer, keys: list[EntityKey]) -> None:
        for key in keys:
            message = CacheInvalidationMessage(key.path, self._instance)
            try:
                await producer.send(self._topic, message.to_bytes())
            except WhiskError as exc:
                log.warning("cache invalidation not sent", key=key.path, error=exc.message)

    async def _listen(self, consumer: Consumer) -> None:
        while True:
            try:
                records = await consumer.poll(128, timeout_s=0.5)
            except WhiskError as exc:
                log.warning("cache invalidations unavailable", error=exc.message)
                await asyncio.sleep(1)
                continue
            for record in records:
                try:
                    message = CacheInvalidationMessage.from_bytes(record.value)
                except MalformedRequest:
                    continue
                key = key_of_path(message.key)
                if message.instance != self._instance and key is not None:
                    self._cache.forget(key)
            if records:
                with contextlib.suppress(WhiskError):
                    await consumer.commit()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self._cache.on_write = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
