"""``FeedService``: the feed providers one controller runs (alarms; Kafka when available),
started and stopped with the controller. Everything they act on is in the database, so
registrations survive restarts and every controller may serve every registration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog

from controller.feeds.after_fire import TriggerRemover
from controller.feeds.alarms import AlarmsConfig, AlarmsProvider
from controller.feeds.firing import FeedFirer
from controller.firing import TriggerFirer
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.store.ports import Identity, Persistence

log = structlog.get_logger(__name__)


class FeedService:
    def __init__(
        self,
        persistence: Persistence,
        firer: TriggerFirer,
        limits_for: Callable[[Identity], NamespaceLimits],
        owner: str,
    ) -> None:
        store, feeds = persistence.store, persistence.feeds
        fire = self.firer = FeedFirer(store, firer, limits_for)
        self.alarms = AlarmsProvider(
            feeds, fire, AlarmsConfig(owner=owner), remover=TriggerRemover(store, feeds)
        )
        from controller.feeds.kafka import KafkaProvider, KafkaProviderConfig

        self.kafka = KafkaProvider(feeds, fire, KafkaProviderConfig(owner=owner))
        self._tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.alarms.run(), name="feeds-alarms"),
            asyncio.create_task(self.kafka.run(), name="feeds-kafka"),
        ]
        log.info("feed service started")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.kafka.close()
        self._tasks = []
