"""The alarms provider: every tick, claim the due registrations (one controller wins each due
time, ``FeedStore.claim_feed``) and fire them. A fire is at most once: a controller that dies
between its claim and its fire loses that one fire, as OpenWhisk's provider would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from controller.feeds.after_fire import TriggerRemover
from controller.feeds.firing import FeedFirer, FireOutcome
from controller.feeds.lifecycle import ALARMS, now_ms
from controller.feeds.schedule import AfterFire, AlarmKind, AlarmSpec, alarm_spec, next_fire
from whisk.errors import WhiskError
from whisk.store.ports import FeedRegistration, FeedStatus, FeedStore

log = structlog.get_logger(__name__)


def last_fire_reason(spec: AlarmSpec, fires_before: int) -> str:
    """Why the provider disables a registration after its last fire (the alarms provider's
    texts)."""
    if spec.kind is AlarmKind.ONCE:
        return "Automatically disabled after firing once"
    if spec.max_triggers != -1 and fires_before + 1 >= spec.max_triggers:
        return "Automatically disabled after reaching max triggers"
    if spec.kind is AlarmKind.INTERVAL:
        return "Automatically disabled after firing last scheduled interval trigger"
    return "Automatically disabled after firing last scheduled cron trigger"


@dataclass(frozen=True, slots=True)
class AlarmsConfig:
    owner: str  # this controller, in leases
    tick_s: float = 0.5
    lease_ms: int = 30_000  # how long a claimed fire may take before another may fire again


class AlarmsProvider:
    def __init__(
        self,
        feeds: FeedStore,
        firer: FeedFirer,
        config: AlarmsConfig,
        clock_ms: Callable[[], int] = now_ms,
        remover: TriggerRemover | None = None,
    ) -> None:
        self._feeds = feeds
        self._firer = firer
        self._config = config
        self._clock_ms = clock_ms
        self._remover = remover  # None: deleteAfterFire is not carried out

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a while: keep ticking
                log.exception("alarms tick failed")
            await asyncio.sleep(self._config.tick_s)

    async def run_once(self) -> int:
        """Fire what is due now; returns how many fires this controller made."""
        fired = 0
        for reg in await self._feeds.due_feeds(ALARMS, self._clock_ms()):
            if await self._claim_and_fire(reg):
                fired += 1
        return fired

    async def _claim_and_fire(self, reg: FeedRegistration) -> bool:
        now = self._clock_ms()
        try:
            spec = alarm_spec(reg.feed, reg.params)
        except WhiskError as exc:
            await self._feeds.set_feed_status(
                reg.registration_id, FeedStatus.DISABLED, exc.message, now
            )
            return False
        assert reg.next_fire_ms is not None
        following = next_fire(spec, reg.next_fire_ms, now, reg.fires)
        won = await self._feeds.claim_feed(
            reg,
            next_fire_ms=following,
            status=FeedStatus.ACTIVE if following is not None else FeedStatus.DISABLED,
            owner=self._config.owner,
            lease_expiry_ms=now + self._config.lease_ms,
            now_ms=now,
            reason="" if following is not None else last_fire_reason(spec, reg.fires),
        )
        if not won:
            return False
        try:
            outcome = await self._firer.fire(reg, spec.payload)
        finally:
            await self._feeds.release_feed(reg.registration_id, self._config.owner)
        if self._deletes_after(spec, outcome):
            await self._delete_after_fire(reg, spec.after_fire)
        elif outcome is FireOutcome.GONE:
            await self._feeds.set_feed_status(
                reg.registration_id, FeedStatus.DISABLED, "the trigger no longer exists", now
            )
        return outcome.accepted

    def _deletes_after(self, spec: AlarmSpec, outcome: FireOutcome) -> bool:
        """A ``once`` with ``deleteAfterFire`` that fired (or whose trigger is gone already)."""
        return (
            self._remover is not None
            and spec.kind is AlarmKind.ONCE
            and spec.after_fire is not AfterFire.KEEP
            and (outcome.accepted or outcome is FireOutcome.GONE)
        )

    async def _delete_after_fire(self, reg: FeedRegistration, after: AfterFire) -> None:
        assert self._remover is not None
        try:
            await self._remover.remove(reg, after)
        except WhiskError as exc:  # the registration stays disabled: it will not fire again
            log.warning(
                "deleteAfterFire failed",
                trigger=f"/{reg.namespace}/{reg.trigger}",
                error=exc.message,
            )
