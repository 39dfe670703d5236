"""What a ``once`` alarm's ``deleteAfterFire`` does after its fire: delete the rules that name
the trigger (for ``"rules"``), the trigger, then its feed registration.

The deletes go through the same store writes as ``DELETE /rules/{name}`` and
``DELETE /triggers/{name}`` (``Delete`` at the revision read, through the controller's store, so
its entity cache and the other controllers' caches drop the keys). Rules and trigger go in one
atomic commit; a concurrent update makes it read again and retry. A trigger already gone is not
an error: only the registration is left to delete.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from controller.entities import find, key_of
from controller.feeds.schedule import AfterFire
from whisk.entities.names import FullyQualifiedName
from whisk.entities.rule import Rule
from whisk.errors import Conflict, NotFound
from whisk.store.ports import Collection, Delete, FeedRegistration, FeedStore, Store, Write

log = structlog.get_logger(__name__)

ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Removed:
    """What one clean-up deleted."""

    trigger: bool
    rules: tuple[str, ...]
    registration: bool


class TriggerRemover:
    def __init__(self, store: Store, feeds: FeedStore) -> None:
        self._store = store
        self._feeds = feeds

    async def remove(self, reg: FeedRegistration, after: AfterFire) -> Removed:
        """Carry out ``after`` for the registration that just fired (nothing for KEEP)."""
        if after is AfterFire.KEEP:
            return Removed(trigger=False, rules=(), registration=False)
        fqn = FullyQualifiedName(reg.namespace, reg.trigger)
        with_rules = after is AfterFire.DELETE_TRIGGER_AND_RULES
        trigger, rules = await self._delete_entities(fqn, with_rules)
        registration = await self._delete_registration(reg)
        removed = Removed(trigger=trigger, rules=rules, registration=registration)
        log.info(
            "once trigger deleted after its fire",
            trigger=str(fqn),
            delete_after_fire=after.value,
            trigger_deleted=removed.trigger,
            rules_deleted=list(removed.rules),
            registration_deleted=removed.registration,
        )
        return removed

    async def _delete_entities(
        self, fqn: FullyQualifiedName, with_rules: bool
    ) -> tuple[bool, tuple[str, ...]]:
        for attempt in range(1, ATTEMPTS + 1):
            trigger = await find(self._store, Collection.TRIGGERS, fqn)
            if trigger is None:
                return False, ()
            writes: list[Write] = []
            names: list[str] = []
            if with_rules:
                for stored in await self._store.list(fqn.namespace, Collection.RULES, limit=None):
                    rule = Rule.from_stored(stored.doc, stored.updated)
                    if rule.trigger == fqn:
                        writes.append(Delete(key_of(rule.fqn), stored.revision))
                        names.append(rule.fqn.name)
            writes.append(Delete(key_of(fqn), trigger.revision))
            try:
                await self._store.commit(writes)
            except (Conflict, NotFound) as exc:  # changed or deleted meanwhile: read again
                if attempt == ATTEMPTS:
                    raise
                log.info("deleting a fired trigger raced a change", trigger=str(fqn), error=exc)
                continue
            return True, tuple(names)
        raise AssertionError("unreachable")

    async def _delete_registration(self, reg: FeedRegistration) -> bool:
        current = await self._feeds.get_feed(reg.namespace, reg.trigger)
        if current is None or current.registration_id != reg.registration_id:
            return False  # deleted already, or replaced by a new registration: keep that one
        return await self._feeds.delete_feed(reg.namespace, reg.trigger)
