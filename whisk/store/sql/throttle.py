"""``SqlThrottleCounter``: throttle counts in the shared database, so that every controller
sees the same minute windows and the same activations in flight (the ``ThrottleCounter``
shape of controller/throttle.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from whisk.store.sql.store import SqlStore
from whisk.store.sql.tables import inflight, throttle_windows

PRUNE_EVERY = 500  # hits between deletions of windows older than the current minute


class SqlThrottleCounter:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._insert: Any = (
            postgresql.insert if store.engine.dialect.name == "postgresql" else sqlite.insert
        )
        self._hits = 0

    async def hit(self, key: str, window_ms: int) -> int:
        upsert = self._insert(throttle_windows).values(key=key, window_ms=window_ms, count=1)
        upsert = upsert.on_conflict_do_update(
            index_elements=["key", "window_ms"],
            set_={"count": throttle_windows.c.count + 1},
        ).returning(throttle_windows.c.count)
        self._hits += 1
        async with self._store.transaction() as conn:
            count = (await conn.execute(upsert)).scalar_one()
            if self._hits % PRUNE_EVERY == 0:
                await conn.execute(
                    delete(throttle_windows).where(throttle_windows.c.window_ms < window_ms)
                )
        return int(count)

    async def acquire(self, namespace: str, activation_id: str, expires_ms: int) -> int:
        row = self._insert(inflight).values(
            activation_id=activation_id, namespace=namespace, expires_ms=expires_ms
        )
        row = row.on_conflict_do_nothing(index_elements=["activation_id"])
        async with self._store.transaction() as conn:
            before = (
                await conn.execute(
                    select(func.count())
                    .select_from(inflight)
                    .where(
                        inflight.c.namespace == namespace,
                        inflight.c.activation_id != activation_id,
                    )
                )
            ).scalar_one()
            await conn.execute(row)
        return int(before)

    async def release(self, activation_id: str) -> None:
        async with self._store.transaction() as conn:
            await conn.execute(delete(inflight).where(inflight.c.activation_id == activation_id))

    async def in_flight(self, namespace: str, now_ms: int) -> int:
        async with self._store.transaction() as conn:
            await conn.execute(
                delete(inflight).where(
                    inflight.c.namespace == namespace, inflight.c.expires_ms < now_ms
                )
            )
            count = (
                await conn.execute(
                    select(func.count())
                    .select_from(inflight)
                    .where(inflight.c.namespace == namespace)
                )
            ).scalar_one()
        return int(count)
