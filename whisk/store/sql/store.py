"""``SqlStore``: the store port on SQLAlchemy (SQLite on its own threads, PostgreSQL by asyncpg).

- Updates are ``UPDATE ... WHERE id = :id AND revision = :rev``; a zero row count means the
  revision moved (or the row went away), so two writers from the same revision never both win.
- ``commit`` runs every write in one transaction: any failure rolls all of them back.
- Unique-key violations become ``AlreadyExists`` (or ``WrongCollection``); lost connections and
  lock timeouts become ``Unavailable``; anything else from the driver ``InternalError``.
- Each operation is one synchronous function over a ``Connection``, run in one hop by
  ``runner.py`` (SQLite: dedicated threads; PostgreSQL: asyncpg with ``run_sync``).

The schema lives in ``tables.py`` and is created by Alembic (``whisk.store.sql.migrate``), never
by this class. Semantics match ``whisk.store.memory.MemoryStore`` (see its docstring).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy import Row, Select, bindparam, delete, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from whisk.errors import AlreadyExists, ConcurrentModification, NotFound, WrongCollection
from whisk.store.clock import WriteStamps
from whisk.store.ports import (
    ActivationQuery,
    ActivationRecord,
    Collection,
    Delete,
    EntityKey,
    Identity,
    Put,
    StoredEntity,
    Write,
)
from whisk.store.sql import rows as mapping
from whisk.store.sql.runner import AsyncRunner, Runner, Work, make_runner
from whisk.store.sql.tables import activations, entities, identities, json_type, usage_hours
from whisk.usage import UsageDelta, sorted_rows

log = structlog.get_logger(__name__)


class _KeyTaken(AlreadyExists):
    """A create lost a race on the unique key; the caller decides which Conflict it was."""

    def __init__(self, key: EntityKey, collection: Collection) -> None:
        super().__init__()
        self.key = key
        self.collection = collection


class SqlStore:
    def __init__(self, url: str, *, stamps: WriteStamps | None = None) -> None:
        self._runner: Runner = make_runner(url)
        self._stamps = stamps or WriteStamps()
        # plain text, built once: SQLAlchemy does not cache ON CONFLICT constructs, and this
        # upsert runs twice per activation (identical in SQLite and PostgreSQL)
        self._activation_upsert = text(
            'INSERT INTO activations (activation_id, namespace, name, package, start, "end", '
            "status_code, doc) VALUES (:activation_id, :namespace, :name, :package, :start, "
            ":end, :status_code, :doc) ON CONFLICT (activation_id) DO UPDATE SET "
            "namespace = excluded.namespace, name = excluded.name, package = excluded.package, "
            'start = excluded.start, "end" = excluded."end", status_code = excluded.status_code, '
            "doc = excluded.doc"
        ).bindparams(bindparam("doc", type_=json_type()))
        # a pending row of the write-behind's batch: never over an existing (final) row
        self._activation_insert_pending = text(
            'INSERT INTO activations (activation_id, namespace, name, package, start, "end", '
            "status_code, doc) VALUES (:activation_id, :namespace, :name, :package, :start, "
            ":end, :status_code, :doc) ON CONFLICT (activation_id) DO NOTHING"
        ).bindparams(bindparam("doc", type_=json_type()))
        # the same row, replaced only while still pending: one statement, atomic by itself
        self._activation_complete = text(
            "UPDATE activations SET namespace = :namespace, name = :name, package = :package, "
            'start = :start, "end" = :end, status_code = :status_code, doc = :doc '
            'WHERE activation_id = :activation_id AND "end" = 0 AND status_code IS NULL'
        ).bindparams(bindparam("doc", type_=json_type()))
        # metering: an upsert that adds (identical in SQLite and PostgreSQL)
        self._usage_add = text(
            "INSERT INTO usage_hours (namespace, action, hour_ms, activations, billed_ms, mb_ms, "
            "cold_starts, errors) VALUES (:namespace, :action, :hour_ms, :activations, "
            ":billed_ms, :mb_ms, :cold_starts, :errors) "
            "ON CONFLICT (namespace, action, hour_ms) DO UPDATE SET "
            "activations = usage_hours.activations + excluded.activations, "
            "billed_ms = usage_hours.billed_ms + excluded.billed_ms, "
            "mb_ms = usage_hours.mb_ms + excluded.mb_ms, "
            "cold_starts = usage_hours.cold_starts + excluded.cold_starts, "
            "errors = usage_hours.errors + excluded.errors"
        )

    @property
    def dialect(self) -> str:
        return self._runner.dialect

    @property
    def engine(self) -> AsyncEngine:
        """The asyncio engine (PostgreSQL only; tests truncate tables through it)."""
        if not isinstance(self._runner, AsyncRunner):
            raise TypeError("SQLite stores run on their own threads; there is no async engine")
        return self._runner.engine

    async def close(self) -> None:
        await self._runner.close()

    async def transaction(self, work: Work[Any]) -> Any:
        """Run ``work(conn)`` in one write transaction (for adapters that keep their own tables
        in this database, such as the throttle counts)."""
        return await self._runner.write(work)

    async def write_one(self, work: Work[Any]) -> Any:
        """Run a single-statement ``work(conn)`` outside a transaction (atomic by itself)."""
        return await self._runner.write_one(work)

    async def read(self, work: Work[Any]) -> Any:
        return await self._runner.read(work)

    # -- entities -------------------------------------------------------------------------

    async def get(self, key: EntityKey) -> StoredEntity | None:
        params = mapping.key_params(key)

        def work(conn: Connection) -> StoredEntity | None:
            row = conn.execute(mapping.ENTITY_BY_ID, params).first()
            return None if row is None else mapping.entity(row)

        return await self._runner.read(work)

    async def put(self, write: Put) -> StoredEntity:
        return (await self.commit([write]))[0]

    async def delete(self, write: Delete) -> StoredEntity:
        return (await self.commit([write]))[0]

    async def commit(self, writes: Sequence[Write]) -> list[StoredEntity]:
        if not writes:
            return []
        try:
            return await self._runner.write(
                lambda conn: [self._apply(conn, write) for write in writes]
            )
        except _KeyTaken as taken:
            # The transaction is gone; look at who holds the key now.
            holder = await self.get(taken.key)
            if holder is not None and holder.collection != taken.collection:
                raise WrongCollection() from taken
            raise AlreadyExists() from taken

    def _apply(self, conn: Connection, write: Write) -> StoredEntity:
        key = mapping.normal(write.key)
        if isinstance(write, Put) and write.expected_revision is not None:
            return self._update(conn, key, write)
        current = conn.execute(mapping.ENTITY_BY_ID, mapping.key_params(key)).first()
        if isinstance(write, Delete):
            return self._delete(conn, key, current, write.expected_revision)
        return self._create(conn, key, current, write)

    def _create(
        self, conn: Connection, key: EntityKey, current: Row[Any] | None, write: Put
    ) -> StoredEntity:
        if current is not None:
            if current.collection != write.collection:
                raise WrongCollection()
            raise AlreadyExists()
        stored = StoredEntity(write.collection, key, write.doc, 1, self._stamps.next())
        try:
            conn.execute(entities.insert().values(**mapping.entity_row(stored)))
        except IntegrityError as exc:
            raise _KeyTaken(key, write.collection) from exc
        return stored

    def _update(self, conn: Connection, key: EntityKey, write: Put) -> StoredEntity:
        assert write.expected_revision is not None
        stored = StoredEntity(
            write.collection, key, write.doc, write.expected_revision + 1, self._stamps.next()
        )
        result = conn.execute(
            update(entities)
            .where(
                entities.c.id == key.path,
                entities.c.revision == write.expected_revision,
                entities.c.collection == write.collection.value,
            )
            .values(doc=stored.doc, revision=stored.revision, updated=stored.updated)
        )
        if result.rowcount == 1:
            return stored
        holder = conn.execute(mapping.ENTITY_BY_ID, mapping.key_params(key)).first()
        if holder is not None and holder.collection != write.collection:
            raise WrongCollection()
        raise ConcurrentModification()

    def _delete(
        self,
        conn: Connection,
        key: EntityKey,
        current: Row[Any] | None,
        expected_revision: int | None,
    ) -> StoredEntity:
        if current is None:
            raise NotFound(f"{key.path} does not exist")
        if expected_revision is not None and expected_revision != current.revision:
            raise ConcurrentModification()
        result = conn.execute(
            delete(entities).where(
                entities.c.id == key.path, entities.c.revision == current.revision
            )
        )
        if result.rowcount != 1:
            raise ConcurrentModification()
        return mapping.entity(current)

    async def list(
        self,
        namespace: str,
        collection: Collection,
        *,
        package: str | None = None,
        all_packages: bool = False,
        skip: int = 0,
        limit: int | None = 30,
    ) -> list[StoredEntity]:
        query = (
            select(entities)
            .where(*mapping.entity_filter(namespace, collection, package, all_packages))
            .order_by(entities.c.updated.desc(), entities.c.id.desc())
            .offset(skip)
            .limit(limit)
        )
        return await self._runner.read(
            lambda conn: [mapping.entity(row) for row in conn.execute(query).all()]
        )

    async def count(
        self,
        namespace: str,
        collection: Collection,
        *,
        package: str | None = None,
        all_packages: bool = False,
    ) -> int:
        query = select(func.count()).where(
            *mapping.entity_filter(namespace, collection, package, all_packages)
        )
        return await self._runner.read(lambda conn: int(conn.execute(query).scalar_one()))

    # -- activations ----------------------------------------------------------------------

    async def put_activation(
        self, record: ActivationRecord, usage: UsageDelta | None = None
    ) -> None:
        if usage is not None:
            await self.put_activations([record], [usage])
            return
        values = _activation_values(record)
        upsert = self._activation_upsert
        await self._runner.write_one(lambda conn: conn.execute(upsert, values))

    async def put_activations(
        self, records: Sequence[ActivationRecord], usage: Sequence[UsageDelta] = ()
    ) -> None:
        """One transaction, at most three executemany calls (final rows upserted, pending rows
        inserted where absent, usage rows added to in key order): the driver sends each as
        one batch."""
        final = [_activation_values(r) for r in records if r.status_code is not None]
        pending = [_activation_values(r) for r in records if r.status_code is None]
        added = [_usage_values(u) for u in sorted_rows(usage)]
        if not final and not pending and not added:
            return
        upsert, insert, add = (
            self._activation_upsert,
            self._activation_insert_pending,
            self._usage_add,
        )

        def write(conn: Connection) -> None:
            if final:
                conn.execute(upsert, final)
            if pending:
                conn.execute(insert, pending)
            if added:
                conn.execute(add, added)

        await self._runner.write(write)

    async def list_usage(
        self,
        namespace: str | None = None,
        first_hour_ms: int | None = None,
        last_hour_ms: int | None = None,
    ) -> builtins.list[UsageDelta]:
        c = usage_hours.c
        statement = select(usage_hours).order_by(c.namespace, c.action, c.hour_ms)
        if namespace is not None:
            statement = statement.where(c.namespace == namespace)
        if first_hour_ms is not None:
            statement = statement.where(c.hour_ms >= first_hour_ms)
        if last_hour_ms is not None:
            statement = statement.where(c.hour_ms <= last_hour_ms)
        return await self._runner.read(
            lambda conn: [_usage_row(row) for row in conn.execute(statement).all()]
        )

    async def complete_pending_activation(self, record: ActivationRecord) -> bool:
        values = _activation_values(record)
        statement = self._activation_complete
        written = await self._runner.write_one(
            lambda conn: conn.execute(statement, values).rowcount
        )
        return bool(written == 1)

    async def list_stale_pending(
        self, started_before_ms: int, limit: int
    ) -> builtins.list[ActivationRecord]:
        statement = (
            select(activations)
            .where(
                activations.c.end == 0,  # the (end, start) index; pending implies end == 0
                activations.c.status_code.is_(None),
                activations.c.start < started_before_ms,
            )
            .order_by(activations.c.start, activations.c.activation_id)
            .limit(max(limit, 0))
        )
        return await self._runner.read(
            lambda conn: [mapping.activation(row) for row in conn.execute(statement).all()]
        )

    async def get_activation(self, namespace: str, activation_id: str) -> ActivationRecord | None:
        params = {"activation_id": activation_id, "namespace": namespace}

        def work(conn: Connection) -> ActivationRecord | None:
            row = conn.execute(mapping.ACTIVATION_BY_ID, params).first()
            return None if row is None else mapping.activation(row)

        return await self._runner.read(work)

    async def list_activations(self, query: ActivationQuery) -> builtins.list[ActivationRecord]:
        statement = (
            select(activations)
            .where(*mapping.activation_filter(query))
            .order_by(activations.c.start.desc(), activations.c.activation_id.desc())
            .offset(query.skip)
            .limit(query.limit)
        )
        return await self._runner.read(
            lambda conn: [mapping.activation(row) for row in conn.execute(statement).all()]
        )

    async def count_activations(self, query: ActivationQuery) -> int:
        statement = select(func.count()).where(*mapping.activation_filter(query))
        return await self._runner.read(lambda conn: int(conn.execute(statement).scalar_one()))

    # -- identities -----------------------------------------------------------------------

    async def create_identity(self, identity: Identity) -> None:
        row = mapping.identity_row(identity)
        try:
            await self._runner.write(lambda conn: conn.execute(identities.insert().values(**row)))
        except IntegrityError as exc:
            raise AlreadyExists(
                f"namespace {identity.namespace} or its uuid is already in use"
            ) from exc

    async def get_identity_by_uuid(self, uuid: str) -> Identity | None:
        return await self._one_identity(mapping.IDENTITY_BY_UUID, {"uuid": uuid})

    async def get_identity(self, namespace: str) -> Identity | None:
        return await self._one_identity(mapping.IDENTITY_BY_NAMESPACE, {"namespace": namespace})

    async def _one_identity(self, query: Select[Any], params: dict[str, str]) -> Identity | None:
        def work(conn: Connection) -> Identity | None:
            row = conn.execute(query, params).first()
            return None if row is None else mapping.identity(row)

        return await self._runner.read(work)

    async def list_identities(self, subject: str | None = None) -> builtins.list[Identity]:
        query = select(identities).order_by(identities.c.namespace)
        if subject is not None:
            query = query.where(identities.c.subject == subject)
        return await self._runner.read(
            lambda conn: [mapping.identity(row) for row in conn.execute(query).all()]
        )

    async def delete_identity(self, namespace: str) -> None:
        statement = delete(identities).where(identities.c.namespace == namespace)
        count = await self._runner.write(lambda conn: conn.execute(statement).rowcount)
        if count != 1:
            raise NotFound(f"namespace {namespace} does not exist")

    async def update_identity(self, identity: Identity) -> None:
        row = mapping.identity_row(identity)
        del row["namespace"], row["subject"]
        statement = (
            update(identities).where(identities.c.namespace == identity.namespace).values(**row)
        )
        try:
            count = await self._runner.write(lambda conn: conn.execute(statement).rowcount)
        except IntegrityError as exc:
            raise AlreadyExists(f"uuid {identity.uuid} is already in use") from exc
        if count != 1:
            raise NotFound(f"namespace {identity.namespace} does not exist")


def _usage_values(usage: UsageDelta) -> dict[str, Any]:
    return {
        "namespace": usage.namespace,
        "action": usage.action,
        "hour_ms": usage.hour_ms,
        "activations": usage.activations,
        "billed_ms": usage.billed_ms,
        "mb_ms": usage.mb_ms,
        "cold_starts": usage.cold_starts,
        "errors": usage.errors,
    }


def _usage_row(row: Row[Any]) -> UsageDelta:
    return UsageDelta(
        namespace=row.namespace,
        action=row.action,
        hour_ms=int(row.hour_ms),
        activations=int(row.activations),
        billed_ms=int(row.billed_ms),
        mb_ms=int(row.mb_ms),
        cold_starts=int(row.cold_starts),
        errors=int(row.errors),
    )


def _activation_values(record: ActivationRecord) -> dict[str, Any]:
    return {
        "activation_id": record.activation_id,
        "namespace": record.namespace,
        "name": record.name,
        "package": record.package or "",
        "start": record.start,
        "end": record.end,
        "status_code": record.status_code,
        "doc": record.doc,
    }
