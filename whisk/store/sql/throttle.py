"""``SqlThrottleCounter``: throttle counts in the shared database, so that every controller
sees the same minute windows and the same activations in flight (the ``ThrottleCounter``
shape of controller/throttle.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from whisk.store.sql.store import SqlStore
from whisk.store.sql.tables import inflight, throttle_windows
from whisk.throttling import Admission, window_of

PRUNE_EVERY = 500  # hits between deletions of windows older than the current minute


class SqlThrottleCounter:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._insert: Any = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
        self._hits = 0
        # plain text (ON CONFLICT constructs are not cached by SQLAlchemy); same in both dialects
        self._hit = text(
            "INSERT INTO throttle_windows (key, window_ms, count) VALUES (:key, :window_ms, 1) "
            "ON CONFLICT (key, window_ms) DO UPDATE SET count = throttle_windows.count + 1 "
            "RETURNING count"
        )

    async def hit(self, key: str, window_ms: int) -> int:
        upsert = self._hit
        self._hits += 1
        prune = self._hits % PRUNE_EVERY == 0

        def work(conn: Connection) -> int:
            count = int(conn.execute(upsert, {"key": key, "window_ms": window_ms}).scalar_one())
            if prune:
                conn.execute(
                    delete(throttle_windows).where(throttle_windows.c.window_ms < window_ms)
                )
            return count

        return int(await self._store.transaction(work))

    async def admit(
        self, namespace: str, activation_id: str | None, now_ms: int, expires_ms: int
    ) -> Admission:
        """Count, purge, count in flight and record, in one transaction (one hop)."""
        window = window_of(now_ms)
        expired = delete(inflight).where(
            inflight.c.namespace == namespace, inflight.c.expires_ms < now_ms
        )
        flying = select(func.count()).select_from(inflight).where(inflight.c.namespace == namespace)
        row = inflight.insert().values(
            activation_id=activation_id, namespace=namespace, expires_ms=expires_ms
        )
        key = f"invoke:{namespace}"

        def work(conn: Connection) -> tuple[int, int]:
            count = int(conn.execute(self._hit, {"key": key, "window_ms": window}).scalar_one())
            conn.execute(expired)
            before = int(conn.execute(flying).scalar_one())
            if activation_id is not None:
                conn.execute(row)
            return count, before

        count, before = await self._store.transaction(work)
        return Admission(count, before)

    async def acquire(self, namespace: str, activation_id: str, expires_ms: int) -> int:
        row = (
            self._insert(inflight)
            .values(activation_id=activation_id, namespace=namespace, expires_ms=expires_ms)
            .on_conflict_do_nothing(index_elements=["activation_id"])
        )
        others = (
            select(func.count())
            .select_from(inflight)
            .where(inflight.c.namespace == namespace, inflight.c.activation_id != activation_id)
        )

        def work(conn: Connection) -> int:
            before = int(conn.execute(others).scalar_one())
            conn.execute(row)
            return before

        return int(await self._store.transaction(work))

    async def release(self, activation_id: str) -> None:
        statement = delete(inflight).where(inflight.c.activation_id == activation_id)
        await self._store.write_one(lambda conn: conn.execute(statement))

    async def in_flight(self, namespace: str, now_ms: int) -> int:
        expired = delete(inflight).where(
            inflight.c.namespace == namespace, inflight.c.expires_ms < now_ms
        )
        count = select(func.count()).select_from(inflight).where(inflight.c.namespace == namespace)

        def work(conn: Connection) -> int:
            conn.execute(expired)
            return int(conn.execute(count).scalar_one())

        return int(await self._store.transaction(work))
