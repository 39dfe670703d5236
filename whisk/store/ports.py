"""The store port: what the controller and invoker need from persistence.

Entities are kept as JSON documents (the entity's stored form, produced and read by
``whisk.entities``) beside a few indexed columns, the way OpenWhisk keeps documents in its
entity store. The store knows nothing of entity classes: it moves ``StoredEntity`` values.

Every write carries the revision the writer read (``None`` for a create). A write whose
revision no longer matches raises ``ConcurrentModification``; a create over an existing key
raises ``AlreadyExists`` (or ``WrongCollection`` when the key is held by another collection).
``commit`` applies several writes atomically: all of them or none.

Implementations: ``memory.MemoryStore`` (unit tests, in-process twin) and
``sql.SqlStore`` (SQLite through aiosqlite, PostgreSQL through asyncpg). One behaviour suite
(tests/store/) runs unchanged against each. ``Persistence`` bundles the ports one database
serves, as ``whisk.store.open_store`` returns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from whisk.throttling import SharedThrottleCounter
from whisk.usage import UsageDelta


class Collection(StrEnum):
    ACTIONS = "actions"
    PACKAGES = "packages"
    TRIGGERS = "triggers"
    RULES = "rules"


@dataclass(frozen=True, slots=True)
class EntityKey:
    """Where an entity lives: its root namespace, optional package and name.

    Keys are unique across collections within a namespace (as OpenWhisk's document ids are).
    """

    namespace: str
    name: str
    package: str | None = None

    @property
    def path(self) -> str:
        return (
            f"{self.namespace}/{self.package}/{self.name}"
            if self.package
            else (f"{self.namespace}/{self.name}")
        )


@dataclass(frozen=True, slots=True)
class StoredEntity:
    collection: Collection
    key: EntityKey
    doc: dict[str, Any]
    revision: int = 0  # 0 = never stored; the store sets 1 on create and adds 1 on each update
    updated: int = 0  # epoch ms, set by the store on every write


@dataclass(frozen=True, slots=True)
class Put:
    """Create (``expected_revision is None``) or update (revision must match) an entity."""

    collection: Collection
    key: EntityKey
    doc: dict[str, Any]
    expected_revision: int | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    key: EntityKey
    expected_revision: int | None = None  # None = delete whatever revision is stored


Write = Put | Delete


@dataclass(frozen=True, slots=True)
class ActivationRecord:
    """An activation as the store indexes it; ``doc`` is the full stored record."""

    activation_id: str
    namespace: str  # the invoking namespace (who may read it)
    name: str  # the entity name
    package: str | None  # the package (or binding) segment used for name filtering
    start: int  # epoch ms
    end: int  # epoch ms, 0 while pending
    status_code: int | None  # None while pending
    doc: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ActivationQuery:
    namespace: str
    name: str | None = None
    package: str | None = None  # only with name
    since: int | None = None  # inclusive, epoch ms on start
    upto: int | None = None  # inclusive, epoch ms on start
    skip: int = 0
    limit: int = 30
    # pending records (no result yet, ``status_code`` None) are left out unless asked for, as
    # OpenWhisk has no record until the activation ends; finished trigger records (end 0) stay
    include_pending: bool = False

    def matches(self, r: ActivationRecord) -> bool:
        """Whether the record is one this query lists (before skip and limit)."""
        return (
            r.namespace == self.namespace
            and (self.name is None or (r.name == self.name and r.package == (self.package or None)))
            and (self.since is None or r.start >= self.since)
            and (self.upto is None or r.start <= self.upto)
            and (self.include_pending or r.status_code is not None)
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """One key: a subject (user) and the one namespace the key grants.

    A subject may own several identities (one per namespace); a namespace belongs to exactly one
    identity, and the namespace's limit overrides live with it.
    """

    subject: str
    namespace: str
    uuid: str
    key_hash: str  # salted hash of the secret; the secret itself is never stored
    blocked: bool = False
    limits: dict[str, Any] = field(default_factory=dict)  # namespace limit overrides


class EntityStore(Protocol):
    async def get(self, key: EntityKey) -> StoredEntity | None: ...

    async def put(self, write: Put) -> StoredEntity: ...

    async def delete(self, write: Delete) -> StoredEntity: ...

    async def commit(self, writes: Sequence[Write]) -> list[StoredEntity]:
        """Apply all writes atomically. Returns the stored entity for each write, in order
        (for a Delete, the entity as it was before deletion)."""
        ...

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
        """Entities of one collection, newest ``updated`` first. ``package=None`` and
        ``all_packages=False`` lists the root of the namespace only; ``package='p'`` lists
        entities inside package p; ``all_packages=True`` lists everything in the namespace."""
        ...

    async def count(
        self,
        namespace: str,
        collection: Collection,
        *,
        package: str | None = None,
        all_packages: bool = False,
    ) -> int: ...


class ActivationStore(Protocol):
    async def put_activation(
        self, record: ActivationRecord, usage: UsageDelta | None = None
    ) -> None:
        """Insert, or replace the record with the same id (a pending record becoming final);
        ``usage`` (what the completed activation adds to metering, ``whisk.usage``) is added
        in the same write."""
        ...

    async def put_activations(
        self, records: Sequence[ActivationRecord], usage: Sequence[UsageDelta] = ()
    ) -> None:
        """Write several records at once, atomically (the write-behind's flush). A final
        record inserts or replaces; a pending one (``status_code is None``) is inserted only
        where no record with its id exists, so a late pending record never hides a final one.
        Each ``usage`` delta is added to its (namespace, action, hour) row in the same
        transaction (created at zero when absent)."""
        ...

    async def list_usage(
        self,
        namespace: str | None = None,
        first_hour_ms: int | None = None,
        last_hour_ms: int | None = None,
    ) -> list[UsageDelta]:
        """The stored usage rows of one namespace (or all), of the hour buckets from
        ``first_hour_ms`` to ``last_hour_ms`` inclusive (None: unbounded), by namespace,
        action and hour."""
        ...

    async def get_activation(
        self, namespace: str, activation_id: str
    ) -> ActivationRecord | None: ...

    async def list_activations(self, query: ActivationQuery) -> list[ActivationRecord]:
        """Newest ``start`` first."""
        ...

    async def count_activations(self, query: ActivationQuery) -> int: ...

    async def complete_pending_activation(self, record: ActivationRecord) -> bool:
        """Replace the stored record with ``record`` only while the stored one is still
        pending (``status_code is None``; trigger records have ``end == 0`` too, as OpenWhisk's,
        but are final), atomically; returns whether it wrote. A missing record is not
        inserted (False), and a final record is never overwritten."""
        ...

    async def list_stale_pending(
        self, started_before_ms: int, limit: int
    ) -> list[ActivationRecord]:
        """Pending records (no status code yet) of every namespace with ``start <
        started_before_ms``, oldest ``start`` first (ties by id), at most ``limit``."""
        ...


class IdentityStore(Protocol):
    async def create_identity(self, identity: Identity) -> None:
        """Raises AlreadyExists if the namespace or the uuid is taken."""
        ...

    async def get_identity_by_uuid(self, uuid: str) -> Identity | None: ...

    async def get_identity(self, namespace: str) -> Identity | None: ...

    async def list_identities(self, subject: str | None = None) -> list[Identity]: ...

    async def delete_identity(self, namespace: str) -> None:
        """Raises NotFound."""
        ...

    async def update_identity(self, identity: Identity) -> None:
        """Replace uuid, key hash, blocked flag and limits of the identity holding
        ``identity.namespace`` (NotFound if none)."""
        ...


class Store(EntityStore, ActivationStore, IdentityStore, Protocol):
    """Everything the services need, behind one object; ``close()`` releases connections."""

    async def close(self) -> None: ...


# -- feeds (alarms, Kafka): registrations the controllers' feed services run ------------------


class FeedStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISABLED = "disabled"  # ended by the provider (a once fired, stopDate passed, trigger gone)


@dataclass(frozen=True, slots=True)
class FeedRegistration:
    """One trigger registered with a feed provider (at most one per trigger).

    ``next_fire_ms`` is the schedule of time-driven providers (alarms); a controller claims a
    due registration by moving it forward atomically (``claim_feed``), so one fire happens per
    due time whatever the number of controllers. ``lease_owner``/``lease_expiry_ms`` name the
    controller that claimed it last and until when it is considered busy with it.
    """

    registration_id: str
    provider: str  # "alarms" | "kafka"
    feed: str  # the feed action's name: alarm, interval, once, kafkaFeed
    namespace: str  # the trigger's namespace (its owner's)
    trigger: str  # the trigger's name
    params: dict[str, Any]
    status: FeedStatus = FeedStatus.ACTIVE
    next_fire_ms: int | None = None
    fires: int = 0
    reason: str = ""
    created_ms: int = 0
    changed_ms: int = 0  # when ``status`` last changed (0: never, since ``created_ms``)
    lease_owner: str | None = None
    lease_expiry_ms: int = 0


class FeedStore(Protocol):
    async def put_feed(self, registration: FeedRegistration) -> None:
        """Insert, or replace the registration of the same trigger (whatever its id)."""
        ...

    async def get_feed(self, namespace: str, trigger: str) -> FeedRegistration | None: ...

    async def delete_feed(self, namespace: str, trigger: str) -> bool:
        """True when there was a registration to delete."""
        ...

    async def list_feeds(
        self, provider: str, status: FeedStatus | None = None
    ) -> list[FeedRegistration]: ...

    async def due_feeds(
        self, provider: str, now_ms: int, limit: int = 100
    ) -> list[FeedRegistration]:
        """Active registrations whose ``next_fire_ms <= now_ms`` and whose lease has expired,
        earliest first."""
        ...

    async def claim_feed(
        self,
        registration: FeedRegistration,
        *,
        next_fire_ms: int | None,
        status: FeedStatus,
        owner: str,
        lease_expiry_ms: int,
        now_ms: int,
        reason: str = "",
    ) -> bool:
        """Atomically move a due registration to its next fire time (and status), counting one
        fire, if it still is as read (same id, still due at ``registration.next_fire_ms``, lease
        expired at ``now_ms``). True for exactly one of several concurrent claimers. A claim that
        leaves the registration inactive records ``reason`` and ``now_ms`` as its change."""
        ...

    async def release_feed(self, registration_id: str, owner: str) -> None:
        """End ``owner``'s lease early (after its fire was handed over)."""
        ...

    async def set_feed_status(
        self,
        registration_id: str,
        status: FeedStatus,
        reason: str = "",
        changed_ms: int | None = None,
    ) -> None:
        """Set status and reason; ``changed_ms`` (default: now) becomes the change time."""
        ...


# -- API gateway: the APIs that createApi stores and the gateway serves -----------------------


@dataclass(frozen=True, slots=True)
class StoredApi:
    """One API of a namespace (at most one per base path): its name (the document's
    ``info.title``) and its OpenAPI 2.0 document. ``actions`` names every action its
    operations call, ``/namespace/action`` or ``/namespace/package/action``, so that deleting
    an action can find the APIs that route to it."""

    namespace: str  # the API's owner
    base_path: str  # "/hello"
    name: str
    swagger: dict[str, Any]
    actions: tuple[str, ...] = ()
    updated_ms: int = 0


class RouteStore(Protocol):
    async def put_api(self, api: StoredApi) -> None:
        """Insert, or replace the API of the same namespace and base path."""
        ...

    async def get_api(self, namespace: str, base_path: str) -> StoredApi | None: ...

    async def list_apis(self, namespace: str) -> list[StoredApi]:
        """The namespace's APIs, by base path."""
        ...

    async def delete_api(self, namespace: str, base_path: str) -> bool:
        """True when there was an API to delete."""
        ...

    async def apis_calling(self, action: str) -> list[StoredApi]:
        """The APIs of any namespace with an operation calling ``action`` (as in ``actions``),
        by namespace and base path."""
        ...


@dataclass(frozen=True, slots=True)
class Persistence:
    """Everything one database keeps, opened together (``whisk.store.open_store``) so services
    and tests wire one object: entities, identities, activation records and usage (``store``,
    one port, its activation records written behind on SQL), feed registrations, the API
    gateway's APIs and the throttle counts. ``close`` closes the database (flushing what is
    written behind)."""

    store: Store
    feeds: FeedStore
    routes: RouteStore
    throttles: SharedThrottleCounter

    async def close(self) -> None:
        await self.store.close()
