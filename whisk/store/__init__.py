"""Persistence: the store ports (``ports``), their in-memory twins and their SQL adapters.

``open_store(url)`` is the one place that picks an implementation from a URL:
``memory://`` for the in-memory twins, any SQLAlchemy async URL
(``sqlite+aiosqlite:///path``, ``postgresql+asyncpg://user:pw@host:port/db``) for SQL. It
returns one ``Persistence``: the entity and activation store, feeds, routes and throttle
counts of that one database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from whisk.store.ports import Persistence

if TYPE_CHECKING:
    from whisk.store.memory import MemoryStore
    from whisk.store.sql.store import SqlStore

MEMORY_URL = "memory://"
DB_URL_ENV = "WHISK_DB_URL"


def default_db_url(environ: Mapping[str, str]) -> str:
    """``WHISK_DB_URL`` if set, else a SQLite file under ``~/.whisk`` (HOME from ``environ``)."""
    url = environ.get(DB_URL_ENV)
    if url:
        return url
    home = environ.get("HOME") or os.path.expanduser("~")
    return f"sqlite+aiosqlite:///{os.path.join(home, '.whisk', 'whisk.db')}"


async def open_store(url: str, *, migrate: bool = True, write_behind: bool = True) -> Persistence:
    """The ports of the database at ``url``, ready; SQL databases are first brought to the
    latest schema, and their activation records are written behind in batches
    (``write_behind``; see ``whisk.store.write_behind``: ``close`` flushes them).

    Use ``memory://`` for a throwaway store: ``sqlite+aiosqlite:///:memory:`` gives each pooled
    connection (and the migration) a database of its own.
    """
    if url == MEMORY_URL or url.startswith("memory:"):
        return memory_persistence()
    from whisk.store.sql.store import SqlStore

    if migrate:  # only then: the migration module imports Alembic (~10 MB of RSS)
        from whisk.store.sql.migrate import ensure_sqlite_dir
        from whisk.store.sql.migrate import migrate as run_migrations

        ensure_sqlite_dir(url)
        await run_migrations(url)
    return sql_persistence(SqlStore(url), write_behind=write_behind)


def memory_persistence(store: MemoryStore | None = None) -> Persistence:
    """The ports of ``store`` (a new ``MemoryStore`` by default), which holds all of them."""
    from whisk.store.memory import MemoryStore

    if store is None:
        store = MemoryStore()
    return Persistence(store, store.feeds, store.routes, store.throttles)


def sql_persistence(sql: SqlStore, *, write_behind: bool = True) -> Persistence:
    """The ports of the database ``sql`` is connected to (already migrated), all on its
    connection pool; activation records written behind unless ``write_behind`` is False."""
    from whisk.store.ports import Store
    from whisk.store.sql.feeds import SqlFeedStore
    from whisk.store.sql.routes import SqlRouteStore
    from whisk.store.sql.throttle import SqlThrottleCounter
    from whisk.store.write_behind import WriteBehindStore

    store: Store = WriteBehindStore(sql) if write_behind else sql
    return Persistence(store, SqlFeedStore(sql), SqlRouteStore(sql), SqlThrottleCounter(sql))


__all__ = [
    "DB_URL_ENV",
    "MEMORY_URL",
    "Persistence",
    "default_db_url",
    "memory_persistence",
    "open_store",
    "sql_persistence",
]
