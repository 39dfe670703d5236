"""Cache invalidation between controllers: the message and the key it names."""

from __future__ import annotations

import asyncio
import json

from controller.cache_sync import CacheSync, key_of_path
from whisk.bus.memory import MemoryBus
from whisk.messages import CacheInvalidationMessage
from whisk.store.cache import CachingStore
from whisk.store.memory import MemoryStore
from whisk.store.ports import Collection, EntityKey, Put


def test_message_has_openwhisk_shape_and_round_trips() -> None:
    message = CacheInvalidationMessage("guest/pkg/hello", "controller1")
    assert json.loads(message.to_bytes())["key"] == {"mainId": "guest/pkg/hello"}
    assert CacheInvalidationMessage.from_bytes(message.to_bytes()) == message


def test_key_of_path_reads_root_and_package_entities() -> None:
    assert key_of_path("guest/hello") == EntityKey("guest", "hello")
    assert key_of_path("guest/pkg/hello") == EntityKey("guest", "hello", "pkg")
    assert key_of_path("nonsense") is None


async def test_a_write_on_one_controller_drops_the_key_on_the_other() -> None:
    bus, inner = MemoryBus(), MemoryStore()
    mine, theirs = CachingStore(inner, 60), CachingStore(inner, 60)
    sync_mine, sync_theirs = CacheSync(bus, mine, "c0"), CacheSync(bus, theirs, "c1")
    await sync_mine.start()
    await sync_theirs.start()
    try:
        key = EntityKey("ns", "a")
        created = await mine.put(Put(Collection.ACTIONS, key, {"v": 1}))
        assert (await theirs.get(key)).doc == {"v": 1}  # type: ignore[union-attr]
        await mine.put(Put(Collection.ACTIONS, key, {"v": 2}, expected_revision=created.revision))
        for _ in range(100):
            if (await theirs.get(key)).doc == {"v": 2}:  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.01)
        assert (await theirs.get(key)).doc == {"v": 2}  # type: ignore[union-attr]
    finally:
        await sync_mine.close()
        await sync_theirs.close()
        await bus.close()
