"""``open_store(url)`` returns one ``Persistence``: for each kind of URL its parts are the right
twins, and they all keep their data in the one database the URL names."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from whisk.store import open_store
from whisk.store.memory import MemoryStore
from whisk.store.memory.feeds import MemoryFeedStore
from whisk.store.memory.routes import MemoryRouteStore
from whisk.store.memory.throttle import MemoryThrottleCounter
from whisk.store.ports import (
    ActivationRecord,
    Collection,
    EntityKey,
    FeedRegistration,
    Put,
    StoredApi,
)
from whisk.store.sql.feeds import SqlFeedStore
from whisk.store.sql.routes import SqlRouteStore
from whisk.store.sql.store import SqlStore
from whisk.store.sql.throttle import SqlThrottleCounter
from whisk.store.write_behind import WriteBehindStore


async def test_a_memory_url_bundles_the_twins_one_memory_store_holds() -> None:
    opened = await open_store("memory://")
    store = opened.store
    assert isinstance(store, MemoryStore)
    assert isinstance(opened.feeds, MemoryFeedStore) and opened.feeds is store.feeds
    assert isinstance(opened.routes, MemoryRouteStore) and opened.routes is store.routes
    assert isinstance(opened.throttles, MemoryThrottleCounter)
    assert opened.throttles is store.throttles
    assert (await open_store("memory://")).store is not store  # each one a database of its own
    await opened.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def sql_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated database: a fresh SQLite file, or this session's PostgreSQL database."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    path = tmp_path / "whisk.db"
    await asyncio.to_thread(shutil.copyfile, sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def test_a_sql_url_bundles_the_sql_adapters_of_one_database(sql_url: str) -> None:
    ns = f"ns{uuid.uuid4().hex[:8]}"  # the PostgreSQL database outlives this test
    aid = uuid.uuid4().hex
    opened = await open_store(sql_url, migrate=False)
    try:
        # given the bundle of a SQL URL: SQL adapters, activation records written behind
        assert isinstance(opened.store, WriteBehindStore)
        assert isinstance(opened.store.inner, SqlStore)
        assert isinstance(opened.feeds, SqlFeedStore)
        assert isinstance(opened.routes, SqlRouteStore)
        assert isinstance(opened.throttles, SqlThrottleCounter)
        # when each part writes
        await opened.store.put(Put(Collection.RULES, EntityKey(ns, "r"), {"x": 1}))
        await opened.store.put_activation(ActivationRecord(aid, ns, "a", None, 1, 2, 0, {}))
        await opened.feeds.put_feed(FeedRegistration("r1", "alarms", "once", ns, "tick", {}))
        await opened.routes.put_api(StoredApi(ns, "/club", "Club", {"swagger": "2.0"}))
        assert await opened.throttles.hit(f"invoke:{ns}", 0) == 1
    finally:
        await opened.close()  # flushes the activation record
    # then another bundle on the same URL reads all of it back
    again = await open_store(sql_url, migrate=False, write_behind=False)
    try:
        assert await again.store.get(EntityKey(ns, "r")) is not None
        assert await again.store.get_activation(ns, aid) is not None
        assert await again.feeds.get_feed(ns, "tick") is not None
        assert await again.routes.get_api(ns, "/club") is not None
        assert await again.throttles.hit(f"invoke:{ns}", 0) == 2
    finally:
        await again.close()
