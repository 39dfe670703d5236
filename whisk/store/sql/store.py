"""``SqlStore``: the store port on SQLAlchemy asyncio (SQLite by aiosqlite, PostgreSQL by asyncpg).

- Updates are ``UPDATE ... WHERE id = :id AND revision = :rev``; a zero row count means the
  revision moved (or the row went away), so two writers from the same revision never both win.
- ``commit`` runs every write in one transaction: any failure rolls all of them back.
- Unique-key violations become ``AlreadyExists`` (or ``WrongCollection``); lost connections and
  lock timeouts become ``Unavailable``; anything else from the driver ``InternalError``.
- SQLite: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions (taken in turn
  behind an in-process lock), so concurrent writers wait rather than fail.

The schema lives in ``tables.py`` and is created by Alembic (``whisk.store.sql.migrate``), never
by this class. Semantics match ``whisk.store.memory.MemoryStore`` (see its docstring).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, nullcontext
from typing import Any

import structlog
from sqlalchemy import Row, Select, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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
from whisk.store.sql.engine import make_engine, translated
from whisk.store.sql.tables import activations, entities, identities

log = structlog.get_logger(__name__)


class _KeyTaken(AlreadyExists):
    """A create lost a race on the unique key; the caller decides which Conflict it was."""

    def __init__(self, key: EntityKey, collection: Collection) -> None:
        super().__init__()
        self.key = key
        self.collection = collection


class SqlStore:
    def __init__(self, url: str, *, stamps: WriteStamps | None = None) -> None:
        self._engine: AsyncEngine = make_engine(url)
        self._stamps = stamps or WriteStamps()
        self._sqlite = self._engine.dialect.name == "sqlite"
        self._writer = self._engine
        self._write_lock: asyncio.Lock | None = None
        if self._sqlite:
            self._writer = self._engine.execution_options(sqlite_begin="IMMEDIATE")
            self._write_lock = asyncio.Lock()

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        await self._engine.dispose()

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        with translated():
            async with self._engine.connect() as conn:
                yield conn

    def transaction(self) -> Any:
        """A write transaction (``async with store.transaction() as conn``) for adapters that
        keep their own tables in this database (throttle counts)."""
        return self._write()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        with translated():
            async with self._write_lock or nullcontext(), self._writer.begin() as conn:
                yield conn

    # -- entities -------------------------------------------------------------------------

    async def get(self, key: EntityKey) -> StoredEntity | None:
        async with self._read() as conn:
            row = (await conn.execute(mapping.by_key(key))).first()
        return None if row is None else mapping.entity(row)

    async def put(self, write: Put) -> StoredEntity:
        return (await self.commit([write]))[0]

    async def delete(self, write: Delete) -> StoredEntity:
        return (await self.commit([write]))[0]

    async def commit(self, writes: Sequence[Write]) -> list[StoredEntity]:
        if not writes:
            return []
        try:
            async with self._write() as conn:
                return [await self._apply(conn, write) for write in writes]
        except _KeyTaken as taken:
            # The transaction is gone; look at who holds the key now.
            holder = await self.get(taken.key)
            if holder is not None and holder.collection != taken.collection:
                raise WrongCollection() from taken
            raise AlreadyExists() from taken

    async def _apply(self, conn: AsyncConnection, write: Write) -> StoredEntity:
        key = mapping.normal(write.key)
        if isinstance(write, Put) and write.expected_revision is not None:
            return await self._update(conn, key, write)
        current = (await conn.execute(mapping.by_key(key))).first()
        if isinstance(write, Delete):
            return await self._delete(conn, key, current, write.expected_revision)
        return await self._create(conn, key, current, write)

    async def _create(
        self, conn: AsyncConnection, key: EntityKey, current: Row[Any] | None, write: Put
    ) -> StoredEntity:
        if current is not None:
            if current.collection != write.collection:
                raise WrongCollection()
            raise AlreadyExists()
        stored = StoredEntity(write.collection, key, write.doc, 1, self._stamps.next())
        try:
            await conn.execute(entities.insert().values(**mapping.entity_row(stored)))
        except IntegrityError as exc:
            raise _KeyTaken(key, write.collection) from exc
        return stored

    async def _update(self, conn: AsyncConnection, key: EntityKey, write: Put) -> StoredEntity:
        assert write.expected_revision is not None
        stored = StoredEntity(
            write.collection, key, write.doc, write.expected_revision + 1, self._stamps.next()
        )
        result = await conn.execute(
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
        holder = (await conn.execute(mapping.by_key(key))).first()
        if holder is not None and holder.collection != write.collection:
            raise WrongCollection()
        raise ConcurrentModification()

    async def _delete(
        self,
        conn: AsyncConnection,
        key: EntityKey,
        current: Row[Any] | None,
        expected_revision: int | None,
    ) -> StoredEntity:
        if current is None:
            raise NotFound(f"{key.path} does not exist")
        if expected_revision is not None and expected_revision != current.revision:
            raise ConcurrentModification()
        result = await conn.execute(
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
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [mapping.entity(row) for row in rows]

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
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    # -- activations ----------------------------------------------------------------------

    async def put_activation(self, record: ActivationRecord) -> None:
        values = {
            "activation_id": record.activation_id,
            "namespace": record.namespace,
            "name": record.name,
            "package": record.package or "",
            "start": record.start,
            "end": record.end,
            "status_code": record.status_code,
            "doc": record.doc,
        }
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(activations).values(**values)
        upsert = insert.on_conflict_do_update(
            index_elements=[activations.c.activation_id],
            set_={k: v for k, v in values.items() if k != "activation_id"},
        )
        async with self._write() as conn:
            await conn.execute(upsert)

    async def get_activation(
        self, namespace: str, activation_id: str
    ) -> ActivationRecord | None:
        query = select(activations).where(
            activations.c.activation_id == activation_id, activations.c.namespace == namespace
        )
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else mapping.activation(row)

    async def list_activations(self, query: ActivationQuery) -> list[ActivationRecord]:
        statement = (
            select(activations)
            .where(*mapping.activation_filter(query))
            .order_by(activations.c.start.desc(), activations.c.activation_id.desc())
            .offset(query.skip)
            .limit(query.limit)
        )
        async with self._read() as conn:
            rows = (await conn.execute(statement)).all()
        return [mapping.activation(row) for row in rows]

    async def count_activations(self, query: ActivationQuery) -> int:
        statement = select(func.count()).where(*mapping.activation_filter(query))
        async with self._read() as conn:
            return int((await conn.execute(statement)).scalar_one())

    # -- identities -----------------------------------------------------------------------

    async def create_identity(self, identity: Identity) -> None:
        try:
            async with self._write() as conn:
                await conn.execute(identities.insert().values(**mapping.identity_row(identity)))
        except IntegrityError as exc:
            raise AlreadyExists(
                f"namespace {identity.namespace} or its uuid is already in use"
            ) from exc

    async def get_identity_by_uuid(self, uuid: str) -> Identity | None:
        return await self._one_identity(select(identities).where(identities.c.uuid == uuid))

    async def get_identity(self, namespace: str) -> Identity | None:
        return await self._one_identity(
            select(identities).where(identities.c.namespace == namespace)
        )

    async def _one_identity(self, query: Select[Any]) -> Identity | None:
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else mapping.identity(row)

    async def list_identities(self, subject: str | None = None) -> list[Identity]:
        query = select(identities).order_by(identities.c.namespace)
        if subject is not None:
            query = query.where(identities.c.subject == subject)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [mapping.identity(row) for row in rows]

    async def delete_identity(self, namespace: str) -> None:
        async with self._write() as conn:
            result = await conn.execute(
                delete(identities).where(identities.c.namespace == namespace)
            )
        if result.rowcount != 1:
            raise NotFound(f"namespace {namespace} does not exist")

    async def update_identity(self, identity: Identity) -> None:
        row = mapping.identity_row(identity)
        del row["namespace"], row["subject"]
        try:
            async with self._write() as conn:
                result = await conn.execute(
                    update(identities)
                    .where(identities.c.namespace == identity.namespace)
                    .values(**row)
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"uuid {identity.uuid} is already in use") from exc
        if result.rowcount != 1:
            raise NotFound(f"namespace {identity.namespace} does not exist")
