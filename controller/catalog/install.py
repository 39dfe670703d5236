"""Installs the ``/whisk.system`` catalog on controller start.

Ensures the ``whisk.system`` identity (with a fresh random key, never printed: nobody needs it,
the packages are published) and upserts each package with its actions in one atomic commit,
only when the stored package does not carry the current catalog version. Several controllers
starting together race harmlessly: a lost commit is retried and then finds the work done.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from controller.catalog.definitions import (
    PACKAGES,
    SYSTEM_NAMESPACE,
    CatalogPackage,
    action_body,
    catalog_version,
    package_body,
)
from controller.entities import find, put_of
from whisk.entities.action import Action
from whisk.entities.common import EntityRules
from whisk.entities.identity import AuthKey, hash_secret
from whisk.entities.names import FullyQualifiedName
from whisk.entities.package import Package
from whisk.errors import AlreadyExists, Conflict
from whisk.store.ports import Collection, Identity, Store, Write

log = structlog.get_logger(__name__)

ATTEMPTS = 3


async def ensure_system_identity(store: Store) -> Identity:
    existing = await store.get_identity(SYSTEM_NAMESPACE)
    if existing is not None:
        return existing
    key = AuthKey.generate()
    identity = Identity(
        subject=SYSTEM_NAMESPACE,
        namespace=SYSTEM_NAMESPACE,
        uuid=key.uuid,
        key_hash=hash_secret(key.secret),
    )
    try:
        await store.create_identity(identity)
    except AlreadyExists:  # another controller made it first
        found = await store.get_identity(SYSTEM_NAMESPACE)
        if found is None:
            raise
        return found
    log.info("created the whisk.system namespace")
    return identity


async def _package_writes(
    store: Store, package: CatalogPackage, version: str, rules: EntityRules
) -> list[Write]:
    """The writes that bring one package up to ``version`` (none when it is there already)."""
    fqn = FullyQualifiedName(SYSTEM_NAMESPACE, package.name)
    previous = await find(store, Collection.PACKAGES, fqn)
    if previous is not None and previous.entity.annotations.get("catalog") == version:
        return []
    entity = Package.from_put(
        fqn, package_body(package, version), rules, previous.entity if previous else None
    )
    writes: list[Write] = [put_of(Collection.PACKAGES, entity, previous)]
    for member in package.actions:
        action_fqn = FullyQualifiedName(SYSTEM_NAMESPACE, member.name, package.name)
        old = await find(store, Collection.ACTIONS, action_fqn)
        action = Action.from_put(
            action_fqn, action_body(member, version), rules, old.entity if old else None
        )
        writes.append(put_of(Collection.ACTIONS, action, old))
    return writes


async def install_catalog(store: Store, rules_for: Callable[[Identity], EntityRules]) -> int:
    """Bring the catalog to the current version; returns how many packages were written."""
    identity = await ensure_system_identity(store)
    rules = rules_for(identity)
    version = catalog_version()
    written = 0
    for package in PACKAGES:
        for attempt in range(ATTEMPTS):
            writes = await _package_writes(store, package, version, rules)
            if not writes:
                break
            try:
                await store.commit(writes)
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise
                continue  # another controller wrote it meanwhile: look again
            written += 1
            break
    if written:
        log.info("installed the whisk.system catalog", version=version, packages=written)
    return written
