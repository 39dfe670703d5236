"""Mapping between the store port's values and table rows (no I/O)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, select

from whisk.store.ports import (
    ActivationQuery,
    ActivationRecord,
    Collection,
    EntityKey,
    Identity,
    StoredEntity,
)
from whisk.store.sql.tables import activations, entities, identities


def normal(key: EntityKey) -> EntityKey:
    return key if key.package else EntityKey(key.namespace, key.name, None)


# Point lookups are built once with bind parameters: building a ``select`` per call (and its
# cache key) cost ~0.4 ms of the ~0.5 ms a lookup took.
ENTITY_BY_ID = select(entities).where(entities.c.id == bindparam("entity_id"))
ACTIVATION_BY_ID = select(activations).where(
    activations.c.activation_id == bindparam("activation_id"),
    activations.c.namespace == bindparam("namespace"),
)
IDENTITY_BY_UUID = select(identities).where(identities.c.uuid == bindparam("uuid"))
IDENTITY_BY_NAMESPACE = select(identities).where(identities.c.namespace == bindparam("namespace"))


def key_params(key: EntityKey) -> dict[str, str]:
    """The parameters of ``ENTITY_BY_ID`` for ``key``."""
    return {"entity_id": normal(key).path}


def entity_filter(
    namespace: str, collection: Collection, package: str | None, all_packages: bool
) -> list[ColumnElement[bool]]:
    clauses = [entities.c.namespace == namespace, entities.c.collection == collection.value]
    if not all_packages:
        clauses.append(entities.c.package == (package or ""))
    return clauses


def entity_row(stored: StoredEntity) -> dict[str, Any]:
    return {
        "id": stored.key.path,
        "namespace": stored.key.namespace,
        "package": stored.key.package or "",
        "name": stored.key.name,
        "collection": stored.collection.value,
        "doc": stored.doc,
        "revision": stored.revision,
        "updated": stored.updated,
    }


def entity(row: Row[Any]) -> StoredEntity:
    return StoredEntity(
        collection=Collection(row.collection),
        key=EntityKey(row.namespace, row.name, row.package or None),
        doc=row.doc,
        revision=row.revision,
        updated=row.updated,
    )


def activation_filter(query: ActivationQuery) -> list[ColumnElement[bool]]:
    clauses = [activations.c.namespace == query.namespace]
    if query.name is not None:
        clauses.append(activations.c.name == query.name)
        clauses.append(activations.c.package == (query.package or ""))
    if query.since is not None:
        clauses.append(activations.c.start >= query.since)
    if query.upto is not None:
        clauses.append(activations.c.start <= query.upto)
    if not query.include_pending:
        clauses.append(activations.c.status_code.is_not(None))
    return clauses


def activation(row: Row[Any]) -> ActivationRecord:
    return ActivationRecord(
        activation_id=row.activation_id,
        namespace=row.namespace,
        name=row.name,
        package=row.package or None,
        start=row.start,
        end=row.end,
        status_code=row.status_code,
        doc=row.doc,
    )


def identity_row(identity: Identity) -> dict[str, Any]:
    return {
        "namespace": identity.namespace,
        "subject": identity.subject,
        "uuid": identity.uuid,
        "key_hash": identity.key_hash,
        "blocked": identity.blocked,
        "limits": identity.limits,
    }


def identity(row: Row[Any]) -> Identity:
    return Identity(
        subject=row.subject,
        namespace=row.namespace,
        uuid=row.uuid,
        key_hash=row.key_hash,
        blocked=bool(row.blocked),
        limits=dict(row.limits),
    )
