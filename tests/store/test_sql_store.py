"""SqlStore specifics: several stores (as several processes) on one database, and outages."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.store.conftest import truncate_all
from whisk.errors import AlreadyExists, ConcurrentModification, Unavailable
from whisk.store.ports import Collection, EntityKey, Put, StoredEntity
from whisk.store.sql.store import SqlStore

KEY = EntityKey("guest", "shared")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    """Two stores with their own engines (and locks) over one database."""
    if request.param == "sqlite":
        path = tmp_path / "shared.db"
        await asyncio.to_thread(shutil.copyfile, sqlite_template, path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_url")
    first, second = SqlStore(url), SqlStore(url)
    if request.param == "postgres":
        await truncate_all(first)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def split(outcomes: list[StoredEntity | BaseException]) -> tuple[list[StoredEntity], list]:
    won = [o for o in outcomes if isinstance(o, StoredEntity)]
    return won, [o for o in outcomes if not isinstance(o, StoredEntity)]


async def test_sql_store_updates_from_two_stores_let_exactly_one_win(
    two_stores: tuple[SqlStore, SqlStore],
) -> None:
    first, second = two_stores
    await first.put(Put(Collection.ACTIONS, KEY, {"v": 0}))

    writes = [
        store.put(Put(Collection.ACTIONS, KEY, {"v": i}, expected_revision=1))
        for i in range(8)
        for store in (first, second)
    ]
    won, lost = split(await asyncio.gather(*writes, return_exceptions=True))

    assert len(won) == 1, lost
    assert all(isinstance(e, ConcurrentModification) for e in lost), lost
    assert await second.get(KEY) == won[0]
    assert await first.get(KEY) == won[0]


async def test_sql_store_creates_from_two_stores_let_exactly_one_win(
    two_stores: tuple[SqlStore, SqlStore],
) -> None:
    first, second = two_stores
    writes = [
        store.put(Put(Collection.ACTIONS, KEY, {"v": i}))
        for i in range(4)
        for store in (first, second)
    ]
    won, lost = split(await asyncio.gather(*writes, return_exceptions=True))

    assert len(won) == 1, lost
    assert all(isinstance(e, AlreadyExists) for e in lost), lost


async def test_sql_store_commits_from_two_stores_are_all_or_nothing(
    two_stores: tuple[SqlStore, SqlStore],
) -> None:
    first, second = two_stores
    # Both try to create the same package and an action inside it in one commit.
    batch = [
        Put(Collection.PACKAGES, EntityKey("guest", "p"), {}),
        Put(Collection.ACTIONS, EntityKey("guest", "a", "p"), {}),
    ]
    outcomes = await asyncio.gather(
        first.commit(batch), second.commit(batch), return_exceptions=True
    )
    won = [o for o in outcomes if isinstance(o, list)]
    lost = [o for o in outcomes if not isinstance(o, list)]
    assert len(won) == 1 and len(won[0]) == 2, outcomes
    assert len(lost) == 1 and isinstance(lost[0], AlreadyExists), outcomes
    assert await first.count("guest", Collection.PACKAGES) == 1
    assert await first.count("guest", Collection.ACTIONS, package="p") == 1


async def test_sql_store_refused_connection_is_unavailable() -> None:
    store = SqlStore("postgresql+asyncpg://whisk:whisk@127.0.0.1:1/whisk")
    try:
        with pytest.raises(Unavailable):
            await store.get(KEY)
        with pytest.raises(Unavailable):
            await store.put(Put(Collection.ACTIONS, KEY, {}))
    finally:
        await store.close()


async def test_sql_store_unwritable_sqlite_file_is_unavailable(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'w.db'}")
    try:
        with pytest.raises(Unavailable):
            await store.get(KEY)
    finally:
        await store.close()
