"""Fixtures for the store behaviour suite: one ``persistence`` per implementation (what
``open_store`` returns), and its ``store``.

PostgreSQL is the real thing: ``WHISK_TEST_PG_URL`` if set, else the cluster that
``scripts/postgres.sh`` starts (``postgres_url`` in tests/conftest.py). When neither works the
postgres cases skip, except under ``CI=true`` where they fail. This session migrates a database
of its own (so suites sharing the server do not collide) and truncates it before each test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from whisk.store import memory_persistence, sql_persistence
from whisk.store.memory import MemoryStore
from whisk.store.ports import Persistence, Store
from whisk.store.sql import migrate
from whisk.store.sql.store import SqlStore
from whisk.store.sql.tables import metadata
from whisk.store.write_behind import WriteBehindStore

T = TypeVar("T")


def in_thread(fn: Callable[[], T]) -> T:
    """Alembic (and asyncio.run) start their own event loop; keep them off any running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


def unavailable(reason: str) -> None:
    """Skip on a laptop, fail in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def _admin_dsn(server_url: str) -> str:
    return make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(server_url: str, name: str) -> str:
    """A new empty database on the server of ``server_url``; returns its URL."""
    admin = await asyncpg.connect(_admin_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(_admin_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def pg_server_url(postgres_url: str) -> str:
    """A PostgreSQL server (tests/conftest.py: WHISK_TEST_PG_URL or scripts/postgres.sh)."""
    return postgres_url


@pytest.fixture(scope="session")
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A database of this session's own, migrated to head, dropped at the end.

    Other suites may use the server's ``whisk`` database at the same time; ours is private.
    """
    name = f"whisk_store_tests_{os.getpid()}"
    try:
        url = in_thread(lambda: asyncio.run(create_database(pg_server_url, name)))
        in_thread(lambda: migrate.upgrade(url))
    except Exception as exc:  # the script said ready, but we cannot use the server
        unavailable(f"cannot prepare a database on {pg_server_url}: {exc!r}")
        raise
    yield url
    in_thread(lambda: asyncio.run(drop_database(pg_server_url, name)))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test gets a copy (Alembic is slow-ish)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "whisk.db"
    in_thread(lambda: migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


async def truncate_all(store: SqlStore) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    async with store.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names}"))


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        "sqlite+write-behind",
        pytest.param("postgres+write-behind", marks=pytest.mark.postgres),
    ]
)
async def persistence(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[Persistence]:
    """Every implementation, and the SQL ones behind the activation write-behind (what the
    services run), which must behave the same through the ports."""
    if request.param == "memory":
        yield memory_persistence()
        return
    behind = request.param.endswith("+write-behind")
    if request.param.startswith("sqlite"):
        path = tmp_path / "whisk.db"
        await asyncio.to_thread(shutil.copyfile, sqlite_template, path)
        sql = SqlStore(f"sqlite+aiosqlite:///{path}")
    else:
        sql = SqlStore(request.getfixturevalue("pg_url"))
        await truncate_all(sql)
    opened = sql_persistence(sql, write_behind=behind)
    try:
        yield opened
    finally:
        await opened.close()


def beside(persistence: Persistence) -> Persistence:
    """A second bundle on ``persistence``'s database, as another controller on it would hold
    (on its connections: close only the first)."""
    store = persistence.store
    if isinstance(store, MemoryStore):
        return memory_persistence(store)
    sql = store.inner if isinstance(store, WriteBehindStore) else store
    assert isinstance(sql, SqlStore)
    return sql_persistence(sql, write_behind=False)


@pytest.fixture
def store(persistence: Persistence) -> Store:
    """The entity, identity and activation store of each implementation."""
    return persistence.store
