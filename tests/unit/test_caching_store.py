"""The controller's entity cache: hits within the TTL, dropped on every write through it."""

from __future__ import annotations

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
