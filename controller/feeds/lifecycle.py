"""The feed lifecycle: what a feed action's CREATE, READ, UPDATE, DELETE, PAUSE and UNPAUSE do
to the trigger's registration in the database. The providers (``service.FeedService`` in every
controller) pick registrations up from there.

The ``authKey`` the client passes must be a valid key of the trigger's namespace: that proves
the caller owns the trigger, as OpenWhisk's providers check with the key. The key itself is not
stored: fires run as the namespace's identity.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from controller.entities import find
from controller.feeds.kafka_messages import kafka_spec
from controller.feeds.schedule import alarm_spec, first_fire
from whisk.entities.identity import verify_secret
from whisk.entities.names import DEFAULT_NAMESPACE, FullyQualifiedName
from whisk.errors import Forbidden, InvalidArgument, NotFound, Unauthenticated
from whisk.store.ports import Collection, FeedRegistration, FeedStatus, FeedStore, Identity, Store

ALARMS, KAFKA = "alarms", "kafka"
FEEDS = {
    ("alarms", "alarm"): ALARMS,
    ("alarms", "interval"): ALARMS,
    ("alarms", "once"): ALARMS,
    ("messaging", "kafkaFeed"): KAFKA,
}
LIFECYCLE_KEYS = ("lifecycleEvent", "triggerName", "authKey")


class LifecycleEvent(StrEnum):
    CREATE = "CREATE"
    READ = "READ"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    PAUSE = "PAUSE"
    UNPAUSE = "UNPAUSE"


def now_ms() -> int:
    return int(time.time() * 1000)


def provider_of(package: str, feed: str) -> str | None:
    return FEEDS.get((package, feed))


def trigger_of(trigger_name: Any, owner: Identity) -> FullyQualifiedName:
    """``/ns/name`` (``_`` for the key's own namespace) or ``name``: the trigger, which must be
    in the namespace of the key."""
    if not isinstance(trigger_name, str) or not trigger_name.strip("/"):
        raise InvalidArgument("You must supply a 'triggerName' parameter.")
    parts = trigger_name.strip("/").split("/")
    if len(parts) == 1:
        parts = [DEFAULT_NAMESPACE, parts[0]]
    if len(parts) != 2:
        raise InvalidArgument(f"'{trigger_name}' is not a trigger name.")
    namespace = owner.namespace if parts[0] == DEFAULT_NAMESPACE else parts[0]
    if namespace != owner.namespace:
        raise Forbidden("Trigger authentication request failed.")
    return FullyQualifiedName(namespace, parts[1])


async def owner_of(store: Store, auth_key: Any) -> Identity:
    """The identity of ``uuid:key``, or Unauthenticated."""
    if not isinstance(auth_key, str):
        raise Unauthenticated("You must supply an 'authKey' parameter.")
    uuid_part, _, secret = auth_key.partition(":")
    identity = await store.get_identity_by_uuid(uuid_part) if uuid_part and secret else None
    if identity is None or identity.blocked or not verify_secret(secret, identity.key_hash):
        raise Unauthenticated("Trigger authentication request failed.")
    return identity


def _iso(ms: int) -> str:
    """As the provider's ``moment(ms).utc().format()``: seconds, then ``Z``."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_params(provider: str, feed: str, params: dict[str, Any], now: int) -> int | None:
    """Validate a registration's parameters; the first due time for alarms."""
    if provider == KAFKA:
        kafka_spec(params)
        return None
    due = first_fire(alarm_spec(feed, params), now)
    if due is None:
        raise InvalidArgument("The alarm would never fire: its date or stopDate is past.")
    return due


def read_reply(reg: FeedRegistration) -> dict[str, Any]:
    """The alarms provider's READ answer: ``dateChanged`` is when the status last changed; a
    ``reason`` (``{"kind": "AUTO", "message": ...}``) only once the provider disabled it."""
    changed = reg.changed_ms or reg.created_ms
    status: dict[str, Any] = {
        "active": reg.status == FeedStatus.ACTIVE,
        "dateChanged": changed,
        "dateChangedISO": _iso(changed),
    }
    if reg.reason:
        status["reason"] = {"kind": "AUTO", "message": reg.reason}
    return {
        "config": {**reg.params, "name": reg.trigger, "namespace": reg.namespace},
        "status": status,
    }


class FeedLifecycle:
    def __init__(
        self, store: Store, feeds: FeedStore, clock_ms: Callable[[], int] = now_ms
    ) -> None:
        self._store = store
        self._feeds = feeds
        self._clock_ms = clock_ms

    async def handle(
        self, provider: str, feed: str, params: dict[str, Any], owner: Identity
    ) -> dict[str, Any]:
        try:
            event = LifecycleEvent(str(params.get("lifecycleEvent", "")).upper())
        except ValueError:
            raise InvalidArgument("unsupported lifecycleEvent") from None
        trigger = trigger_of(params.get("triggerName"), owner)
        user_params = {k: v for k, v in params.items() if k not in LIFECYCLE_KEYS}
        existing = await self._feeds.get_feed(trigger.namespace, trigger.name)
        now = self._clock_ms()
        if event is LifecycleEvent.CREATE:
            if await find(self._store, Collection.TRIGGERS, trigger) is None:
                raise NotFound(f"Trigger '{trigger}' does not exist.")
            due = check_params(provider, feed, user_params, now)
            await self._feeds.put_feed(
                FeedRegistration(
                    registration_id=uuid.uuid4().hex,
                    provider=provider,
                    feed=feed,
                    namespace=trigger.namespace,
                    trigger=trigger.name,
                    params=user_params,
                    next_fire_ms=due,
                    created_ms=now,
                )
            )
            return {"status": "success"}
        if event is LifecycleEvent.DELETE:
            await self._feeds.delete_feed(trigger.namespace, trigger.name)
            return {"status": "success"}
        if existing is None or existing.provider != provider:
            raise NotFound(f"Trigger '{trigger}' is not registered with this feed.")
        if event is LifecycleEvent.READ:
            return read_reply(existing)
        if event is LifecycleEvent.UPDATE:
            merged = {**existing.params, **user_params}
            due = check_params(provider, existing.feed, merged, now)
            await self._feeds.put_feed(
                dataclasses.replace(
                    existing,
                    params=merged,
                    status=FeedStatus.ACTIVE,  # as the provider's update: active again
                    reason="",
                    changed_ms=now,
                    next_fire_ms=due,
                    lease_expiry_ms=0,
                )
            )
            return {"status": "success"}
        if event is LifecycleEvent.PAUSE:
            await self._feeds.set_feed_status(
                existing.registration_id, FeedStatus.PAUSED, "paused by its owner"
            )
            return {"status": "success"}
        due = check_params(provider, existing.feed, existing.params, now)
        await self._feeds.put_feed(
            dataclasses.replace(
                existing,
                status=FeedStatus.ACTIVE,
                reason="",
                changed_ms=now,
                next_fire_ms=due,
                lease_expiry_ms=0,
            )
        )
        return {"status": "success"}
