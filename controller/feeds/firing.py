"""Firing a trigger for a feed registration, as its owner, through the same ``TriggerFirer``
as ``POST /triggers/{name}``. The outcome tells the provider what to do next."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import structlog

from controller.entities import find
from controller.firing import TriggerFirer
from whisk.entities.names import FullyQualifiedName
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.errors import Throttled, Unavailable, WhiskError
from whisk.store.ports import Collection, FeedRegistration, Identity, Store

log = structlog.get_logger(__name__)


class FireOutcome(StrEnum):
    FIRED = "fired"  # accepted: a trigger activation exists
    NO_RULES = "no-rules"  # accepted, nothing to do (the API's 204)
    GONE = "gone"  # the trigger or its namespace no longer exists: disable the registration
    RETRY = "retry"  # throttled or unavailable: try again later
    FAILED = "failed"  # refused for another reason (logged)

    @property
    def accepted(self) -> bool:
        return self in (FireOutcome.FIRED, FireOutcome.NO_RULES)


class FeedFirer:
    def __init__(
        self,
        store: Store,
        firer: TriggerFirer,
        limits_for: Callable[[Identity], NamespaceLimits],
    ) -> None:
        self._store = store
        self._firer = firer
        self._limits_for = limits_for
        self.outcomes: Counter[tuple[str, str]] = Counter()  # (feed, outcome): fires so far

    async def fire(self, reg: FeedRegistration, payload: dict[str, Any]) -> FireOutcome:
        outcome = await self._fire(reg, payload)
        self.outcomes[(reg.feed, outcome.value)] += 1
        return outcome

    async def _fire(self, reg: FeedRegistration, payload: dict[str, Any]) -> FireOutcome:
        identity = await self._store.get_identity(reg.namespace)
        fqn = FullyQualifiedName(reg.namespace, reg.trigger)
        loaded = await find(self._store, Collection.TRIGGERS, fqn)
        if identity is None or identity.blocked or loaded is None:
            log.info("feed trigger is gone", trigger=str(fqn), feed=reg.feed)
            return FireOutcome.GONE
        tid = uuid.uuid4().hex
        try:
            activation_id = await self._firer.fire(
                identity,
                self._limits_for(identity),
                loaded.entity,
                payload,
                tid=tid,
                api_key=None,
            )
        except (Throttled, Unavailable) as exc:
            log.warning("feed fire deferred", trigger=str(fqn), error=exc.message)
            return FireOutcome.RETRY
        except WhiskError as exc:
            log.warning("feed fire refused", trigger=str(fqn), error=exc.message)
            return FireOutcome.FAILED
        log.info("feed fired", trigger=str(fqn), feed=reg.feed, activation_id=activation_id)
        return FireOutcome.FIRED if activation_id else FireOutcome.NO_RULES
