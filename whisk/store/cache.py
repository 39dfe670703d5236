"""``CachingStore``: entity reads from memory for a short while, as OpenWhisk's controller
caches entities.

Only ``get`` of an existing entity is cached (a miss is never remembered), for at most
``ttl_seconds``; every write through this store drops the keys it touches at once. With one
controller the cache is therefore exact; with several, another controller's write is seen
within ``ttl_seconds`` (an update made from a stale read fails with 409, as optimistic
concurrency should), unless ``cache_sync`` tells them at once over the bus. Everything else is
passed through.

Concurrent misses of one key share one read (single flight): when a popular entry expires
under load, the requests that miss it together wait for one database read instead of each
issuing its own (py-spy on the distributed controller at ~90 invokes/s: those reads and the
connections they opened past the pool were ~20 % of samples). A read that a write (or
``forget``) overtook is handed to its waiters but not cached.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from whisk.store.ports import (
    ActivationRecord,
    Delete,
    EntityKey,
    Put,
    Store,
    StoredEntity,
    Write,
)


class CachingStore:
    def __init__(
        self,
        store: Store,
        ttl_seconds: float = 2.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[EntityKey, tuple[float, StoredEntity]] = OrderedDict()
        # reads in flight, one per key; a write drops its key here too (see ``_fetch``)
        self._flights: dict[EntityKey, asyncio.Task[StoredEntity | None]] = {}
        # told about every key written through this store (other controllers are told, too)
        self.on_write: Callable[[list[EntityKey]], None] | None = None

    @property
    def inner(self) -> Store:
        return self._store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def get(self, key: EntityKey) -> StoredEntity | None:
        now = self._clock()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._fetch(key, now))
            flight.add_done_callback(_retrieve)
            self._flights[key] = flight
        # shielded: a caller that gives up does not cancel the others' read
        return await asyncio.shield(flight)

    async def _fetch(self, key: EntityKey, now: float) -> StoredEntity | None:
        this = asyncio.current_task()
        try:
            stored = await self._store.get(key)
        finally:
            current = self._flights.get(key) is this
            if current:
                del self._flights[key]
        if not current:  # a write overtook this read: hand it out, do not remember it
            return stored
        if stored is None:
            self._entries.pop(key, None)
        elif self._ttl > 0:
            self._entries[key] = (now + self._ttl, stored)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return stored

    def forget(self, key: EntityKey) -> None:
        """Drop one key (another controller changed it)."""
        self._entries.pop(key, None)
        self._flights.pop(key, None)

    def _forget(self, writes: Sequence[Write]) -> None:
        for write in writes:
            self._entries.pop(write.key, None)
            self._flights.pop(write.key, None)

    def _written(self, writes: Sequence[Write]) -> None:
        self._forget(writes)
        if self.on_write is not None:
            self.on_write([w.key for w in writes])

    async def put(self, write: Put) -> StoredEntity:
        self._forget([write])
        try:
            return await self._store.put(write)
        finally:
            self._written([write])

    async def delete(self, write: Delete) -> StoredEntity:
        self._forget([write])
        try:
            return await self._store.delete(write)
        finally:
            self._written([write])

    async def commit(self, writes: Sequence[Write]) -> list[StoredEntity]:
        self._forget(writes)
        try:
            return await self._store.commit(writes)
        finally:
            self._written(writes)

    # -- activations are never cached; named here so the port's conditional writes are seen --

    async def complete_pending_activation(self, record: ActivationRecord) -> bool:
        return await self._store.complete_pending_activation(record)

    async def list_stale_pending(
        self, started_before_ms: int, limit: int
    ) -> list[ActivationRecord]:
        return await self._store.list_stale_pending(started_before_ms, limit)


def _retrieve(flight: asyncio.Task[Any]) -> None:
    """Mark a failed read's exception as seen (its callers may all have gone)."""
    if not flight.cancelled():
        flight.exception()
