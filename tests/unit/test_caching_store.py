"""The controller's entity cache: hits within the TTL, dropped on every write through it."""

from __future__ import annotations

import asyncio

from whisk.store.cache import CachingStore
from whisk.store.memory import MemoryStore
from whisk.store.ports import Collection, Delete, EntityKey, Put

KEY = EntityKey("ns", "a")


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_cache_serves_reads_until_the_ttl() -> None:
    inner, clock = MemoryStore(), Clock()
    cache = CachingStore(inner, ttl_seconds=2, clock=clock)
    await inner.put(Put(Collection.ACTIONS, KEY, {"v": 1}))
    assert (await cache.get(KEY)).doc == {"v": 1}  # type: ignore[union-attr]
    stored = await inner.get(KEY)
    await inner.put(Put(Collection.ACTIONS, KEY, {"v": 2}, expected_revision=stored.revision))  # type: ignore[union-attr]
    assert (await cache.get(KEY)).doc == {"v": 1}  # type: ignore[union-attr]  # another writer: stale
    clock.now = 2.5
    assert (await cache.get(KEY)).doc == {"v": 2}  # type: ignore[union-attr]


async def test_cache_drops_keys_written_through_it() -> None:
    cache = CachingStore(MemoryStore(), ttl_seconds=60, clock=Clock())
    created = await cache.put(Put(Collection.ACTIONS, KEY, {"v": 1}))
    assert (await cache.get(KEY)).doc == {"v": 1}  # type: ignore[union-attr]
    await cache.put(Put(Collection.ACTIONS, KEY, {"v": 2}, expected_revision=created.revision))
    assert (await cache.get(KEY)).doc == {"v": 2}  # type: ignore[union-attr]
    await cache.commit([Delete(KEY)])
    assert await cache.get(KEY) is None


async def test_cache_never_remembers_a_miss() -> None:
    inner = MemoryStore()
    cache = CachingStore(inner, ttl_seconds=60, clock=Clock())
    assert await cache.get(KEY) is None
    await inner.put(Put(Collection.ACTIONS, KEY, {"v": 1}))
    assert await cache.get(KEY) is not None


class SlowStore(MemoryStore):
    """Counts reads; each reads at once, then answers when ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.release = asyncio.Event()

    async def get(self, key: EntityKey):  # type: ignore[no-untyped-def]
        self.reads += 1
        found = await super().get(key)
        await self.release.wait()
        return found


async def test_concurrent_misses_share_one_read() -> None:
    inner = SlowStore()
    await inner.put(Put(Collection.ACTIONS, KEY, {"v": 1}))
    cache = CachingStore(inner, ttl_seconds=60, clock=Clock())
    readers = [asyncio.ensure_future(cache.get(KEY)) for _ in range(10)]
    await asyncio.sleep(0)
    inner.release.set()
    found = await asyncio.gather(*readers)
    assert inner.reads == 1
    assert {f.doc["v"] for f in found if f is not None} == {1}  # type: ignore[index]
    assert (await cache.get(KEY)).doc == {"v": 1}  # type: ignore[union-attr]
    assert inner.reads == 1  # cached


async def test_a_read_overtaken_by_a_write_is_not_cached() -> None:
    inner = SlowStore()
    created = await inner.put(Put(Collection.ACTIONS, KEY, {"v": 1}))
    cache = CachingStore(inner, ttl_seconds=60, clock=Clock())
    reader = asyncio.ensure_future(cache.get(KEY))
    await asyncio.sleep(0.01)  # the read is in flight, holding v1
    await cache.put(Put(Collection.ACTIONS, KEY, {"v": 2}, expected_revision=created.revision))
    inner.release.set()
    assert (await reader).doc == {"v": 1}  # type: ignore[union-attr]  # what it read
    assert (await cache.get(KEY)).doc == {"v": 2}  # type: ignore[union-attr]  # not cached


async def test_a_caller_giving_up_does_not_cancel_the_shared_read() -> None:
    inner = SlowStore()
    await inner.put(Put(Collection.ACTIONS, KEY, {"v": 1}))
    cache = CachingStore(inner, ttl_seconds=60, clock=Clock())
    first = asyncio.ensure_future(cache.get(KEY))
    second = asyncio.ensure_future(cache.get(KEY))
    await asyncio.sleep(0)
    first.cancel()
    inner.release.set()
    assert (await second).doc == {"v": 1}  # type: ignore[union-attr]
    assert inner.reads == 1
