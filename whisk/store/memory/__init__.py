"""An in-memory ``Store``: the twin of ``sql.SqlStore`` for unit tests and standalone trials.

Semantics match the SQL store exactly (the behaviour suite in tests/store/ runs against both):
revision 1 on create and +1 per update; ``updated`` strictly increasing per store; ``commit``
all-or-nothing; listings newest first (ties broken by key, descending).

Choices shared with the SQL store:
- an update (``expected_revision`` set) of a missing key raises ``ConcurrentModification``
  (someone deleted it under us); of a key held by another collection, ``WrongCollection``;
- a delete of a missing key raises ``NotFound``, whatever ``expected_revision`` says;
- activation name filters are exact: ``name`` without ``package`` matches root entities only.

Every method runs without awaiting in between, so each is atomic on the event loop.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import json
from collections.abc import Sequence
from typing import Any, cast

from whisk.errors import AlreadyExists, ConcurrentModification, NotFound, WrongCollection
from whisk.store.clock import WriteStamps
from whisk.store.memory.feeds import MemoryFeedStore
from whisk.store.memory.routes import MemoryRouteStore
from whisk.store.memory.throttle import MemoryThrottleCounter
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
from whisk.usage import UsageDelta, UsageKey, aggregate, sorted_rows


def _sort_key(key: EntityKey) -> tuple[str, str, str]:
    return (key.namespace, key.package or "", key.name)


class MemoryStore:
    def __init__(self, stamps: WriteStamps | None = None) -> None:
        self._stamps = stamps or WriteStamps()
        self._entities: dict[EntityKey, StoredEntity] = {}
        self._activations: dict[str, ActivationRecord] = {}
        self._identities: dict[str, Identity] = {}
        self._usage: dict[UsageKey, UsageDelta] = {}
        # the rest of this "database", bundled with it by whisk.store.memory_persistence
        self.feeds = MemoryFeedStore()  # feed registrations
        self.routes = MemoryRouteStore()  # the API gateway's APIs
        self.throttles = MemoryThrottleCounter()  # throttle counts

    # -- entities -------------------------------------------------------------------------

    async def get(self, key: EntityKey) -> StoredEntity | None:
        found = self._entities.get(_normal(key))
        return None if found is None else _detached(found)

    async def put(self, write: Put) -> StoredEntity:
        return (await self.commit([write]))[0]

    async def delete(self, write: Delete) -> StoredEntity:
        return (await self.commit([write]))[0]

    async def commit(self, writes: Sequence[Write]) -> list[StoredEntity]:
        # Apply to a copy; swap it in only when every write succeeded.
        staged = dict(self._entities)
        results = [_apply(staged, write, self._stamps) for write in writes]
        self._entities = staged
        return results

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
        found = self._select(namespace, collection, package, all_packages)
        found.sort(key=lambda e: (e.updated, _sort_key(e.key)), reverse=True)
        end = None if limit is None else skip + limit
        return [_detached(e) for e in found[skip:end]]

    async def count(
        self,
        namespace: str,
        collection: Collection,
        *,
        package: str | None = None,
        all_packages: bool = False,
    ) -> int:
        return len(self._select(namespace, collection, package, all_packages))

    def _select(
        self, namespace: str, collection: Collection, package: str | None, all_packages: bool
    ) -> builtins.list[StoredEntity]:
        return [
            e
            for e in self._entities.values()
            if e.key.namespace == namespace
            and e.collection == collection
            and (all_packages or e.key.package == (package or None))
        ]

    # -- activations ----------------------------------------------------------------------

    async def put_activation(
        self, record: ActivationRecord, usage: UsageDelta | None = None
    ) -> None:
        self._activations[record.activation_id] = _stored_activation(record)
        if usage is not None:
            aggregate(self._usage, [usage])

    async def put_activations(
        self, records: Sequence[ActivationRecord], usage: Sequence[UsageDelta] = ()
    ) -> None:
        stored = self._activations
        for record in records:
            if record.status_code is None and record.activation_id in stored:
                continue
            stored[record.activation_id] = _stored_activation(record)
        aggregate(self._usage, usage)

    async def list_usage(
        self,
        namespace: str | None = None,
        first_hour_ms: int | None = None,
        last_hour_ms: int | None = None,
    ) -> builtins.list[UsageDelta]:
        return sorted_rows(
            u
            for u in self._usage.values()
            if (namespace is None or u.namespace == namespace)
            and (first_hour_ms is None or u.hour_ms >= first_hour_ms)
            and (last_hour_ms is None or u.hour_ms <= last_hour_ms)
        )

    async def get_activation(self, namespace: str, activation_id: str) -> ActivationRecord | None:
        record = self._activations.get(activation_id)
        if record is None or record.namespace != namespace:
            return None
        return dataclasses.replace(record, doc=copy.deepcopy(record.doc))

    async def list_activations(self, query: ActivationQuery) -> builtins.list[ActivationRecord]:
        found = self._matching(query)
        found.sort(key=lambda r: (r.start, r.activation_id), reverse=True)
        return [
            dataclasses.replace(r, doc=copy.deepcopy(r.doc))
            for r in found[query.skip : query.skip + query.limit]
        ]

    async def count_activations(self, query: ActivationQuery) -> int:
        return len(self._matching(query))

    async def complete_pending_activation(self, record: ActivationRecord) -> bool:
        current = self._activations.get(record.activation_id)
        if current is None or current.status_code is not None:
            return False
        self._activations[record.activation_id] = _stored_activation(record)
        return True

    async def list_stale_pending(
        self, started_before_ms: int, limit: int
    ) -> builtins.list[ActivationRecord]:
        found = [
            r
            for r in self._activations.values()
            if r.status_code is None and r.start < started_before_ms
        ]
        found.sort(key=lambda r: (r.start, r.activation_id))
        return [dataclasses.replace(r, doc=copy.deepcopy(r.doc)) for r in found[: max(limit, 0)]]

    def _matching(self, q: ActivationQuery) -> builtins.list[ActivationRecord]:
        return [r for r in self._activations.values() if q.matches(r)]

    # -- identities -----------------------------------------------------------------------

    async def create_identity(self, identity: Identity) -> None:
        if identity.namespace in self._identities:
            raise AlreadyExists(f"namespace {identity.namespace} already exists")
        self._check_uuid_free(identity)
        self._identities[identity.namespace] = dataclasses.replace(
            identity, limits=_json_copy(identity.limits)
        )

    async def get_identity_by_uuid(self, uuid: str) -> Identity | None:
        for identity in self._identities.values():
            if identity.uuid == uuid:
                return _copy_identity(identity)
        return None

    async def get_identity(self, namespace: str) -> Identity | None:
        identity = self._identities.get(namespace)
        return None if identity is None else _copy_identity(identity)

    async def list_identities(self, subject: str | None = None) -> builtins.list[Identity]:
        return [
            _copy_identity(i)
            for _, i in sorted(self._identities.items())
            if subject is None or i.subject == subject
        ]

    async def delete_identity(self, namespace: str) -> None:
        if self._identities.pop(namespace, None) is None:
            raise NotFound(f"namespace {namespace} does not exist")

    async def update_identity(self, identity: Identity) -> None:
        current = self._identities.get(identity.namespace)
        if current is None:
            raise NotFound(f"namespace {identity.namespace} does not exist")
        self._check_uuid_free(identity)
        self._identities[identity.namespace] = dataclasses.replace(
            current,
            uuid=identity.uuid,
            key_hash=identity.key_hash,
            blocked=identity.blocked,
            limits=_json_copy(identity.limits),
        )

    def _check_uuid_free(self, identity: Identity) -> None:
        for other in self._identities.values():
            if other.uuid == identity.uuid and other.namespace != identity.namespace:
                raise AlreadyExists(f"uuid {identity.uuid} is already in use")

    async def close(self) -> None:
        return None


def _normal(key: EntityKey) -> EntityKey:
    """``package=''`` and ``package=None`` both mean the namespace root."""
    return key if key.package else EntityKey(key.namespace, key.name, None)


def _json_copy(doc: dict[str, Any]) -> dict[str, Any]:
    """What a JSON column gives back: a detached copy (and a TypeError for non-JSON values)."""
    return cast(dict[str, Any], json.loads(json.dumps(doc)))


def _stored_activation(record: ActivationRecord) -> ActivationRecord:
    return dataclasses.replace(record, package=record.package or None, doc=_json_copy(record.doc))


def _detached(entity: StoredEntity) -> StoredEntity:
    return dataclasses.replace(entity, doc=copy.deepcopy(entity.doc))


def _copy_identity(identity: Identity) -> Identity:
    return dataclasses.replace(identity, limits=copy.deepcopy(identity.limits))


def _apply(
    entities: dict[EntityKey, StoredEntity], write: Write, stamps: WriteStamps
) -> StoredEntity:
    key = _normal(write.key)
    current = entities.get(key)
    if isinstance(write, Delete):
        if current is None:
            raise NotFound(f"{key.path} does not exist")
        if write.expected_revision is not None and write.expected_revision != current.revision:
            raise ConcurrentModification()
        del entities[key]
        return _detached(current)
    if write.expected_revision is None:
        if current is not None:
            raise AlreadyExists() if current.collection == write.collection else (WrongCollection())
        revision = 1
    else:
        if current is None:
            raise ConcurrentModification()
        if current.collection != write.collection:
            raise WrongCollection()
        if current.revision != write.expected_revision:
            raise ConcurrentModification()
        revision = current.revision + 1
    stored = StoredEntity(
        collection=write.collection,
        key=key,
        doc=_json_copy(write.doc),
        revision=revision,
        updated=stamps.next(),
    )
    entities[key] = stored
    return _detached(stored)
