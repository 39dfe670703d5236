"""Alembic migrations: from empty to head and back to base, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from tests.store.conftest import create_database, drop_database, in_thread
from whisk.store import default_db_url, open_store
from whisk.store.memory import MemoryStore
from whisk.store.ports import Collection, EntityKey, Put
from whisk.store.sql import migrate
from whisk.store.sql.store import SqlStore
from whisk.store.sql.tables import metadata
from whisk.store.write_behind import WriteBehindStore

TABLES = {"entities", "activations", "identities", "usage_hours"}


def _schema(conn: Connection) -> tuple[set[str], list[Any]]:
    tables = set(inspect(conn).get_table_names())
    diff = compare_metadata(MigrationContext.configure(conn), metadata) if TABLES <= tables else []
    return tables, diff


async def schema_of(url: str) -> tuple[set[str], list[Any]]:
    """The tables present and Alembic's differences between them and tables.py."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_schema)
    finally:
        await engine.dispose()


async def check_upgrade_then_downgrade(url: str) -> None:
    tables, _ = await schema_of(url)
    assert not tables & TABLES

    in_thread(lambda: migrate.upgrade(url))
    tables, diff = await schema_of(url)
    assert tables >= TABLES | {"alembic_version"}
    assert diff == [], "the initial migration must produce exactly tables.py"

    in_thread(lambda: migrate.downgrade(url, "base"))
    tables, _ = await schema_of(url)
    assert not tables & TABLES


@pytest.fixture
async def fresh_pg_database(pg_server_url: str) -> AsyncIterator[str]:
    """An empty database of its own on the test server, dropped afterwards."""
    name = f"whisk_migrations_{uuid.uuid4().hex[:12]}"
    yield await create_database(pg_server_url, name)
    await drop_database(pg_server_url, name)


async def test_migrations_upgrade_and_downgrade_on_sqlite(tmp_path: Path) -> None:
    await check_upgrade_then_downgrade(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
async def test_migrations_upgrade_and_downgrade_on_postgres(fresh_pg_database: str) -> None:
    await check_upgrade_then_downgrade(fresh_pg_database)


async def test_migrations_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    in_thread(lambda: migrate.upgrade(url))
    in_thread(lambda: migrate.upgrade(url))
    tables, diff = await schema_of(url)
    assert tables >= TABLES and diff == []


async def test_migrations_run_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert migrate.alembic_config("sqlite://").get_main_option("script_location") == str(
        migrate.script_location()
    )
    assert (migrate.script_location() / "env.py").is_file()
    url = "sqlite+aiosqlite:///relative.db"
    in_thread(lambda: migrate.upgrade(url))
    tables, _ = await schema_of(url)
    assert tables >= TABLES


async def test_open_store_memory_url_gives_the_in_memory_twin() -> None:
    opened = await open_store("memory://")
    assert isinstance(opened.store, MemoryStore)


async def test_open_store_sqlite_creates_the_directory_and_migrates(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'deep' / 'er' / 'whisk.db'}"
    opened = await open_store(url)
    store = opened.store
    try:
        assert isinstance(store, WriteBehindStore)
        assert isinstance(store.inner, SqlStore)
        stored = await store.put(Put(Collection.RULES, EntityKey("ns", "r"), {"x": 1}))
        assert stored.revision == 1
    finally:
        await opened.close()
    assert (tmp_path / "deep" / "er" / "whisk.db").is_file()


@pytest.mark.postgres
async def test_open_store_postgres_migrates_a_fresh_database(fresh_pg_database: str) -> None:
    opened = await open_store(fresh_pg_database)
    try:
        await opened.store.put(Put(Collection.RULES, EntityKey("ns", "r"), {"x": 1}))
        assert await opened.store.count("ns", Collection.RULES) == 1
    finally:
        await opened.close()


def test_default_db_url_prefers_the_environment() -> None:
    url = "postgresql+asyncpg://u:p@h/db"
    assert default_db_url({"WHISK_DB_URL": url, "HOME": "/home/x"}) == url


def test_default_db_url_falls_back_to_sqlite_under_home() -> None:
    assert default_db_url({"HOME": "/home/x"}) == "sqlite+aiosqlite:////home/x/.whisk/whisk.db"
