"""How the SQL store runs its work: each operation is one plain function over a synchronous
SQLAlchemy ``Connection``, run in a single hop.

* SQLite: a synchronous engine (the standard library's sqlite3) on two dedicated threads, one
  for reads and one for writes (WAL lets them overlap). One thread hop per operation, instead
  of one per driver call as through aiosqlite: a primary-key read costs about 0.2 ms, not 2.
* PostgreSQL: the asyncio engine (asyncpg), the function run inside the connection with
  ``run_sync`` (greenlets, no threads).

Reads run in autocommit (no BEGIN/ROLLBACK round trips); writes run in one transaction, on
SQLite ``BEGIN IMMEDIATE`` so that writers queue for the lock instead of failing half-way.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from whisk import codec
from whisk.store.sql.engine import SQLITE_BUSY_TIMEOUT_MS, translated

T = TypeVar("T")
Work = Callable[[Connection], T]


class Runner:
    dialect: str

    async def read(self, work: Work[T]) -> T:
        raise NotImplementedError

    async def write(self, work: Work[T]) -> T:
        raise NotImplementedError

    async def write_one(self, work: Work[T]) -> T:
        """A single statement, atomic by itself: no transaction round trips around it."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


def _json_text(value: Any) -> str:
    """JSON columns through msgspec (whisk.codec), as text for the drivers."""
    return codec.dumps(value).decode()


# ``\u0000`` in a JSON string: an odd run of backslashes before ``u0000`` (an even run is an
# escaped backslash followed by the text "u0000").
_ESCAPED_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def _jsonb_text(value: Any) -> str:
    """JSON columns for PostgreSQL: JSONB cannot hold U+0000, so a NUL in a string (an action's
    result or log line: the API refuses it on input) is stored as U+FFFD. Without this one
    record would fail its whole write-behind batch, over and over, and no record of that
    process would land."""
    raw = codec.dumps(value)
    if b"\\u0000" in raw:
        raw = _ESCAPED_NUL.sub(rb"\1\\ufffd", raw)
    return raw.decode()


def _sqlite_engine(url: str) -> Engine:
    sync_url = make_url(url).set(drivername="sqlite")
    engine = create_engine(
        sync_url,
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=2,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        json_serializer=_json_text,
        json_deserializer=codec.loads,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ensure_wal(engine: Engine, attempts: int = 100) -> None:
    """Switch the file to WAL once, before any thread connects. The journal mode is stored in
    the file; switching it needs an exclusive lock that SQLite does not wait for (no busy
    handler), so two connections racing to set it on every connect could fail at random."""
    for attempt in range(attempts):
        try:
            raw = engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA journal_mode = WAL")
            finally:
                raw.close()
            return
        except (OperationalError, sqlite3.OperationalError) as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if busy and attempt < attempts - 1:
                time.sleep(0.05)
                continue
            if isinstance(exc, OperationalError):
                raise
            raise OperationalError("PRAGMA journal_mode = WAL", None, exc) from exc


class _ThreadConnection:
    """One autocommit connection kept open for the one thread that uses it: no pool checkout,
    isolation reset or rollback around every statement (most of an operation's cost
    otherwise). Dropped after an error, so a broken connection is never reused."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def run(self, work: Work[T]) -> T:
        if self._conn is None:
            self._conn = self._engine.connect()
        try:
            return work(self._conn)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


class SqliteRunner(Runner):
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self._engine = _sqlite_engine(url)
        autocommit = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="whisk-sqlite-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="whisk-sqlite-write")
        self._read_conn = _ThreadConnection(autocommit)  # used on the reader thread only
        self._write_conn = _ThreadConnection(autocommit)  # used on the writer thread only
        self._wal_ready = False

    async def _prepare(self) -> None:
        """WAL first, once, before any other connection is made (see ``_ensure_wal``)."""
        if not self._wal_ready:
            await asyncio.get_running_loop().run_in_executor(
                self._writer, _ensure_wal, self._engine
            )
            self._wal_ready = True

    def _read_sync(self, work: Work[T]) -> T:
        return self._read_conn.run(work)

    def _write_sync(self, work: Work[T]) -> T:
        with self._engine.begin() as conn:
            return work(conn)

    def _write_one_sync(self, work: Work[T]) -> T:
        return self._write_conn.run(work)

    async def read(self, work: Work[T]) -> T:
        with translated():
            await self._prepare()
            return await asyncio.get_running_loop().run_in_executor(
                self._reader, self._read_sync, work
            )

    async def write(self, work: Work[T]) -> T:
        with translated():
            await self._prepare()
            return await asyncio.get_running_loop().run_in_executor(
                self._writer, self._write_sync, work
            )

    async def write_one(self, work: Work[T]) -> T:
        with translated():
            await self._prepare()
            return await asyncio.get_running_loop().run_in_executor(
                self._writer, self._write_one_sync, work
            )

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._reader, self._read_conn.close)
        await loop.run_in_executor(self._writer, self._write_conn.close)
        await loop.run_in_executor(self._writer, self._engine.dispose)
        self._reader.shutdown(wait=True)
        self._writer.shutdown(wait=True)


class AsyncRunner(Runner):
    """PostgreSQL (asyncpg) through SQLAlchemy's asyncio engine."""

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=10,
            max_overflow=10,
            json_serializer=_jsonb_text,
            json_deserializer=codec.loads,
        )
        self.dialect = self.engine.dialect.name
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def read(self, work: Work[T]) -> T:
        with translated():
            async with self._autocommit.connect() as conn:
                return await conn.run_sync(work)

    async def write(self, work: Work[T]) -> T:
        with translated():
            async with self.engine.begin() as conn:
                return await conn.run_sync(work)

    async def write_one(self, work: Work[T]) -> T:
        with translated():
            async with self._autocommit.connect() as conn:
                return await conn.run_sync(work)

    async def close(self) -> None:
        await self.engine.dispose()


def make_runner(url: str) -> Runner:
    if make_url(url).get_backend_name() == "sqlite":
        return SqliteRunner(url)
    return AsyncRunner(url)
