"""The SQLAlchemy engine for the store: SQLite tuned for concurrent use, driver errors translated.

SQLite gets WAL, a busy timeout and our own ``BEGIN`` (``BEGIN IMMEDIATE`` on connections whose
execution options say ``sqlite_begin="IMMEDIATE"``), so writers queue for the lock instead of
failing half-way through a transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from whisk.errors import ConcurrentModification, InternalError, Unavailable, WhiskError

log = structlog.get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL serialization failure and deadlock: the transaction lost to a concurrent one.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def make_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    return engine


def configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, and our own BEGIN (pysqlite's implicit one defers too much)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def translated() -> Iterator[None]:
    """Driver failures as Whisk errors; IntegrityError passes (the caller knows the conflict)."""
    try:
        yield
    except WhiskError:
        raise
    except IntegrityError:
        raise  # the caller knows which conflict it means
    except (OperationalError, InterfaceError, OSError, TimeoutError) as exc:
        log.warning("store unavailable", error=str(exc))
        raise Unavailable() from exc
    except DBAPIError as exc:
        if _sqlstate(exc) in RETRYABLE_SQLSTATES:
            log.info("store conflict", sqlstate=_sqlstate(exc))
            raise ConcurrentModification() from exc
        log.error("store failure", error=str(exc))
        raise InternalError(f"store failure: {exc.__class__.__name__}") from exc


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
