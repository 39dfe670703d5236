"""Typed access to entities in the store: load, create or update, delete, list.

The store keeps documents; this module turns them into entity objects and back, and keeps the
create/update rules (overwrite, collection clashes, revision checks) in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, Protocol, TypeVar

from whisk.entities.action import Action
from whisk.entities.encryption import ParameterEncryption
from whisk.entities.names import FullyQualifiedName
from whisk.entities.package import Package
from whisk.entities.rule import Rule
from whisk.entities.trigger import Trigger
from whisk.errors import AlreadyExists, NotFound, WrongCollection
from whisk.store.ports import Collection, EntityKey, EntityStore, Put, StoredEntity


class _Entity(Protocol):
    @property
    def fqn(self) -> FullyQualifiedName: ...

    def to_stored(self) -> dict[str, Any]: ...


E = TypeVar("E", Action, Package, Trigger, Rule)
Locked = TypeVar("Locked", Action, Package)

LOADERS: dict[Collection, Callable[[dict[str, Any], int], Any]] = {
    Collection.ACTIONS: Action.from_stored,
    Collection.PACKAGES: Package.from_stored,
    Collection.TRIGGERS: Trigger.from_stored,
    Collection.RULES: Rule.from_stored,
}


def key_of(fqn: FullyQualifiedName) -> EntityKey:
    return EntityKey(fqn.namespace, fqn.name, fqn.package)


@dataclass(frozen=True, slots=True)
class Loaded(Generic[E]):
    """An entity with the revision it was read at (needed to write it back)."""

    entity: E
    revision: int


_DECODED_MAX = 4096
_decoded: dict[tuple[Collection, EntityKey], tuple[StoredEntity, Any]] = {}


def decode(stored: StoredEntity) -> Any:
    """The entity a stored document holds. Entities are immutable, and the entity cache
    (``whisk.store.cache``) hands out the same ``StoredEntity`` while it holds one, so the
    decoded entity is kept beside it and reused while the store answers with that object."""
    slot = (stored.collection, stored.key)
    hit = _decoded.get(slot)
    if hit is not None and hit[0] is stored:
        return hit[1]
    entity = LOADERS[stored.collection](stored.doc, stored.updated)
    if len(_decoded) >= _DECODED_MAX:
        _decoded.pop(next(iter(_decoded)))
    _decoded[slot] = (stored, entity)
    return entity


async def find(
    store: EntityStore, collection: Collection, fqn: FullyQualifiedName
) -> Loaded[Any] | None:
    stored = await store.get(key_of(fqn))
    if stored is None:
        return None
    if stored.collection != collection:
        return None
    return Loaded(decode(stored), stored.revision)


async def load(store: EntityStore, collection: Collection, fqn: FullyQualifiedName) -> Loaded[Any]:
    """The entity, else NotFound; a name that exists in another collection is OpenWhisk's 409
    ``Resource by this name exists but is not in this collection.``"""
    stored = await store.get(key_of(fqn))
    if stored is None:
        raise NotFound()
    if stored.collection != collection:
        raise WrongCollection()
    return Loaded(decode(stored), stored.revision)


async def existing_for_put(
    store: EntityStore, collection: Collection, fqn: FullyQualifiedName, overwrite: bool
) -> Loaded[Any] | None:
    """What a PUT updates: None for a create; AlreadyExists without ``overwrite``."""
    stored = await store.get(key_of(fqn))
    if stored is None:
        return None
    if stored.collection != collection:
        raise WrongCollection()
    if not overwrite:
        raise AlreadyExists()
    return Loaded(decode(stored), stored.revision)


def put_of(collection: Collection, entity: _Entity, previous: Loaded[Any] | None) -> Put:
    return Put(
        collection,
        key_of(entity.fqn),
        entity.to_stored(),
        expected_revision=previous.revision if previous else None,
    )


def locked(entity: Locked, encryption: ParameterEncryption) -> Locked:
    """The action or package as stored: its parameters encrypted when a key is configured
    (OpenWhisk's ``WhiskAction.put`` / ``WhiskPackage.put``; already encrypted ones stay)."""
    params = encryption.lock(entity.parameters)
    return entity if params is entity.parameters else replace(entity, parameters=params)


async def save(
    store: EntityStore, collection: Collection, entity: E, previous: Loaded[Any] | None
) -> E:
    stored = await store.put(put_of(collection, entity, previous))
    return decode(stored)  # type: ignore[no-any-return]
