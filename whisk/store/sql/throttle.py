"""``SqlThrottleCounter``: throttle counts in the shared database, so that every controller
sees the same minute windows and the same activations in flight (the ``ThrottleCounter``
shape of controller/throttle.py)."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.engine import Connection

from whisk.store.sql.store import SqlStore
from whisk.store.sql.tables import inflight, throttle_windows
from whisk.throttling import Admission, CountsPush, SharedCounts, window_of

PRUNE_EVERY = 500  # hits between deletions of windows older than the current minute

# Built once with bind parameters (a statement built per call, and its cache key, cost more than
# running it); ON CONFLICT statements as plain text, which SQLAlchemy caches. Same in both
# dialects.
HIT = text(
    "INSERT INTO throttle_windows (key, window_ms, count) VALUES (:key, :window_ms, 1) "
    "ON CONFLICT (key, window_ms) DO UPDATE SET count = throttle_windows.count + 1 "
    "RETURNING count"
)
PRUNE_WINDOWS = delete(throttle_windows).where(
    throttle_windows.c.window_ms < bindparam("window_ms")
)
EXPIRED = delete(inflight).where(
    inflight.c.namespace == bindparam("namespace"), inflight.c.expires_ms < bindparam("now_ms")
)
FLYING = (
    select(func.count()).select_from(inflight).where(inflight.c.namespace == bindparam("namespace"))
)
FLYING_OTHERS = (
    select(func.count())
    .select_from(inflight)
    .where(
        inflight.c.namespace == bindparam("namespace"),
        inflight.c.activation_id != bindparam("activation_id"),
    )
)
RECORD = inflight.insert()
RECORD_ONCE = text(
    "INSERT INTO inflight (activation_id, namespace, expires_ms) "
    "VALUES (:activation_id, :namespace, :expires_ms) ON CONFLICT (activation_id) DO NOTHING"
)
RELEASE = delete(inflight).where(inflight.c.activation_id == bindparam("activation_id"))
# reconciliation (controller/admission.py): add a controller's hits, read the window's total
HIT_N = text(
    "INSERT INTO throttle_windows (key, window_ms, count) VALUES (:key, :window_ms, :n) "
    "ON CONFLICT (key, window_ms) DO UPDATE SET count = throttle_windows.count + :n "
    "RETURNING count"
)
WINDOW_COUNT = select(throttle_windows.c.count).where(
    throttle_windows.c.key == bindparam("key"),
    throttle_windows.c.window_ms == bindparam("window_ms"),
)
FLYING_BY_NAMESPACE = (
    select(inflight.c.namespace, func.count())
    .where(
        inflight.c.namespace.in_(bindparam("namespaces", expanding=True)),
        inflight.c.expires_ms >= bindparam("now_ms"),
    )
    .group_by(inflight.c.namespace)
)

# PostgreSQL: the whole admission as one statement (one round trip instead of six). Every part
# sees the snapshot from before the statement, so the count leaves out the expired rows the
# purge deletes, and does not see the row recorded here: the same answer as the transaction.
_ADMIT_HEAD = """
WITH hit AS (
    INSERT INTO throttle_windows (key, window_ms, count) VALUES (:key, :window_ms, 1)
    ON CONFLICT (key, window_ms) DO UPDATE SET count = throttle_windows.count + 1
    RETURNING count
), purged AS (
    DELETE FROM inflight WHERE namespace = :namespace AND expires_ms < :now_ms
)"""
_ADMIT_RECORD = """, recorded AS (
    INSERT INTO inflight (activation_id, namespace, expires_ms)
    VALUES (:activation_id, :namespace, :expires_ms)
)"""
_ADMIT_TAIL = """
SELECT (SELECT count FROM hit) AS rate_count,
       (SELECT count(*) FROM inflight
        WHERE namespace = :namespace AND expires_ms >= :now_ms) AS in_flight"""
ADMIT_PG = text(_ADMIT_HEAD + _ADMIT_RECORD + _ADMIT_TAIL)
PEEK_PG = text(_ADMIT_HEAD + _ADMIT_TAIL)  # admission without recording an activation


class SqlThrottleCounter:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._hits = 0

    async def hit(self, key: str, window_ms: int) -> int:
        self._hits += 1
        prune = self._hits % PRUNE_EVERY == 0

        def work(conn: Connection) -> int:
            count = int(conn.execute(HIT, {"key": key, "window_ms": window_ms}).scalar_one())
            if prune:
                conn.execute(PRUNE_WINDOWS, {"window_ms": window_ms})
            return count

        return int(await self._store.transaction(work))

    async def admit(
        self, namespace: str, activation_id: str | None, now_ms: int, expires_ms: int
    ) -> Admission:
        """Count, purge, count in flight and record, in one transaction (one hop); on
        PostgreSQL in one statement."""
        hit = {"key": f"invoke:{namespace}", "window_ms": window_of(now_ms)}
        row = {"activation_id": activation_id, "namespace": namespace, "expires_ms": expires_ms}
        if self._store.dialect == "postgresql":
            statement = PEEK_PG if activation_id is None else ADMIT_PG
            params = {**hit, "namespace": namespace, "now_ms": now_ms}
            if activation_id is not None:
                params.update(row)
            counts = await self._store.write_one(lambda conn: conn.execute(statement, params).one())
            return Admission(int(counts.rate_count), int(counts.in_flight))

        def work(conn: Connection) -> tuple[int, int]:
            count = int(conn.execute(HIT, hit).scalar_one())
            conn.execute(EXPIRED, {"namespace": namespace, "now_ms": now_ms})
            before = int(conn.execute(FLYING, {"namespace": namespace}).scalar_one())
            if activation_id is not None:
                conn.execute(RECORD, row)
            return count, before

        count, before = await self._store.transaction(work)
        return Admission(count, before)

    async def acquire(self, namespace: str, activation_id: str, expires_ms: int) -> int:
        row = {"activation_id": activation_id, "namespace": namespace, "expires_ms": expires_ms}

        def work(conn: Connection) -> int:
            others = {"namespace": namespace, "activation_id": activation_id}
            before = int(conn.execute(FLYING_OTHERS, others).scalar_one())
            conn.execute(RECORD_ONCE, row)
            return before

        return int(await self._store.transaction(work))

    async def release(self, activation_id: str) -> None:
        params = {"activation_id": activation_id}
        await self._store.write_one(lambda conn: conn.execute(RELEASE, params))

    async def in_flight(self, namespace: str, now_ms: int) -> int:
        def work(conn: Connection) -> int:
            conn.execute(EXPIRED, {"namespace": namespace, "now_ms": now_ms})
            return int(conn.execute(FLYING, {"namespace": namespace}).scalar_one())

        return int(await self._store.transaction(work))

    async def reconcile(self, push: CountsPush) -> SharedCounts:
        """One transaction: add the hits, record and release the flights, purge the expired
        ones of the namespaces asked for, and read the totals back."""
        hits = push.hits
        added = [
            {"activation_id": a, "namespace": ns, "expires_ms": exp} for a, ns, exp in push.added
        ]
        released = [{"activation_id": a} for a in push.released]
        namespaces = list(push.namespaces)
        now_ms = push.now_ms
        self._hits += len(hits)
        prune = bool(hits) and self._hits % PRUNE_EVERY < len(hits)

        def work(conn: Connection) -> SharedCounts:
            windows: dict[tuple[str, int], int] = {}
            for (key, window), n in hits.items():
                params = {"key": key, "window_ms": window, "n": n}
                windows[(key, window)] = int(conn.execute(HIT_N, params).scalar_one())
            for key, window in push.windows:
                if (key, window) not in windows:
                    found = conn.execute(WINDOW_COUNT, {"key": key, "window_ms": window})
                    windows[(key, window)] = int(found.scalar_one_or_none() or 0)
            if added:
                conn.execute(RECORD_ONCE, added)
            if released:
                conn.execute(RELEASE, released)
            flying: dict[str, int] = {}
            if namespaces:
                for namespace in namespaces:
                    conn.execute(EXPIRED, {"namespace": namespace, "now_ms": now_ms})
                rows = conn.execute(
                    FLYING_BY_NAMESPACE, {"namespaces": namespaces, "now_ms": now_ms}
                )
                flying = {ns: int(n) for ns, n in rows.all()}
            if prune and hits:
                oldest = min(window for _, window in hits)
                conn.execute(PRUNE_WINDOWS, {"window_ms": oldest})
            return SharedCounts(windows, {ns: flying.get(ns, 0) for ns in namespaces})

        counts: SharedCounts = await self._store.transaction(work)
        return counts

