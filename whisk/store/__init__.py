"""Persistence: the store port (``ports``), its in-memory twin and its SQL adapter.

``open_store(url)`` is the one place that picks an implementation from a URL:
``memory://`` for the in-memory twin, any SQLAlchemy async URL
(``sqlite+aiosqlite:///path``, ``postgresql+asyncpg://user:pw@host:port/db``) for SQL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from whisk.store.ports import FeedStore, RouteStore, Store

MEMORY_URL = "memory://"
DB_URL_ENV = "WHISK_DB_URL"


def default_db_url(environ: Mapping[str, str]) -> str:
    """``WHISK_DB_URL`` if set, else a SQLite file under ``~/.whisk`` (HOME from ``environ``)."""
    url = environ.get(DB_URL_ENV)
    if url:
        return url
    home = environ.get("HOME") or os.path.expanduser("~")
    return f"sqlite+aiosqlite:///{os.path.join(home, '.whisk', 'whisk.db')}"


async def open_store(url: str, *, migrate: bool = True, write_behind: bool = True) -> Store:
    """A ready store for ``url``; SQL databases are first brought to the latest schema, and
    their activation records are written behind in batches (``write_behind``; see
    ``whisk.store.write_behind``: ``close`` flushes them).

    Use ``memory://`` for a throwaway store: ``sqlite+aiosqlite:///:memory:`` gives each pooled
    connection (and the migration) a database of its own.
    """
    if url == MEMORY_URL or url.startswith("memory:"):
        from whisk.store.memory import MemoryStore

        return MemoryStore()
    from whisk.store.sql.store import SqlStore

    if migrate:  # only then: the migration module imports Alembic (~10 MB of RSS)
        from whisk.store.sql.migrate import ensure_sqlite_dir
        from whisk.store.sql.migrate import migrate as run_migrations

        ensure_sqlite_dir(url)
        await run_migrations(url)
    sql = SqlStore(url)
    if not write_behind:
        return sql
    from whisk.store.write_behind import WriteBehindStore

    return WriteBehindStore(sql)


def innermost(store: Store) -> Store:
    """The store under any caching or write-behind wrappers."""
    from whisk.store.cache import CachingStore
    from whisk.store.write_behind import WriteBehindStore

    while isinstance(store, CachingStore | WriteBehindStore):
        store = store.inner
    return store


def shared_throttle_counter(store: Store) -> object | None:
    """Throttle counts kept in the store's database (so all controllers share them), or None
    for the in-memory store (the caller counts in process)."""
    from whisk.store.sql.store import SqlStore

    store = innermost(store)
    if isinstance(store, SqlStore):
        from whisk.store.sql.throttle import SqlThrottleCounter

        return SqlThrottleCounter(store)
    return None


def feed_store(store: Store) -> FeedStore:
    """Where ``store`` keeps feed registrations: its database's table, or the memory twin the
    ``MemoryStore`` holds."""
    from whisk.store.memory import MemoryStore
    from whisk.store.sql.store import SqlStore

    store = innermost(store)
    if isinstance(store, MemoryStore):
        return store.feeds
    if isinstance(store, SqlStore):
        from whisk.store.sql.feeds import SqlFeedStore

        return SqlFeedStore(store)
    raise TypeError(f"no feed store for {type(store).__name__}")


def route_store(store: Store) -> RouteStore:
    """Where ``store`` keeps the API gateway's APIs: its database's table, or the memory twin
    the ``MemoryStore`` holds."""
    from whisk.store.memory import MemoryStore
    from whisk.store.sql.store import SqlStore

    store = innermost(store)
    if isinstance(store, MemoryStore):
        return store.routes
    if isinstance(store, SqlStore):
        from whisk.store.sql.routes import SqlRouteStore

        return SqlRouteStore(store)
    raise TypeError(f"no route store for {type(store).__name__}")


__all__ = [
    "DB_URL_ENV",
    "MEMORY_URL",
    "default_db_url",
    "feed_store",
    "innermost",
    "open_store",
    "route_store",
    "shared_throttle_counter",
]
