"""The one place that assembles a controller: store, bus, load balancer, invocation path.

``whisk-controller`` and ``whisk standalone`` both call ``assemble_controller``; only the bus
and persistence they pass differ (Kafka + PostgreSQL, or the in-process bus + SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import structlog

from controller.admission import ReconciledThrottleCounter
from controller.cache_sync import CacheSync
from controller.catalog import install_catalog
from controller.context import Controller
from controller.feeds.service import FeedService
from controller.invocation import InvocationConfig, InvocationService
from controller.loadbalancer.acks import ActivationEntry
from controller.loadbalancer.balancer import BalancerConfig, LoadBalancer
from controller.pending import PendingPolicy
from controller.pending_sweeper import PendingSweeper, SweeperConfig
from controller.runner import ActionRunner
from controller.throttle import MemoryThrottleCounter, ThrottleCounter
from controller.traffic import TrafficGate
from whisk.bus.ports import Bus
from whisk.config import Settings
from whisk.store.cache import CachingStore
from whisk.store.memory import MemoryStore
from whisk.store.ports import Persistence, Store

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class AssembledController:
    controller: Controller
    balancer: LoadBalancer
    runner: ActionRunner
    feeds: FeedService | None = None  # feeds: alarms and Kafka triggers (controller/feeds)
    cache_sync: CacheSync | None = None  # entity-cache invalidation between controllers
    pending_sweeper: PendingSweeper | None = None  # closes pending records past hope
    admission: ReconciledThrottleCounter | None = None  # in memory, reconciled with the db

    async def close(self) -> None:
        if self.pending_sweeper is not None:
            await self.pending_sweeper.close()
        if self.feeds is not None:  # feeds first: they fire through the firer
            await self.feeds.close()
        if self.cache_sync is not None:
            await self.cache_sync.close()
        await self.runner.close()
        await self.balancer.close()
        if self.admission is not None:
            await self.admission.close()


async def assemble_controller(
    settings: Settings,
    persistence: Persistence,
    bus: Bus,
    *,
    throttles: ThrottleCounter | None = None,
) -> AssembledController:
    controller_id = str(settings.controller_id)
    counter = throttles or admission_counter(settings, persistence)
    store = persistence.store
    if settings.entity_cache_seconds > 0 and not isinstance(store, MemoryStore):
        store = CachingStore(store, settings.entity_cache_seconds)
        persistence = replace(persistence, store=store)
    invocations: InvocationService | None = None

    async def forced(entry: ActivationEntry) -> None:
        if invocations is not None:
            await invocations.record_forced(entry.namespace, entry.activation_id)

    balancer = LoadBalancer(
        bus,
        BalancerConfig(
            controller_id=controller_id,
            cluster_size=settings.controllers,
            topic_prefix=settings.kafka_topic_prefix,
            timeout_factor=settings.lb_timeout_factor,
            timeout_floor_ms=settings.lb_timeout_floor_ms,
            timeout_addon_ms=settings.lb_timeout_addon_ms,
            ping_timeout_s=settings.lb_ping_timeout_s,
        ),
        on_forced_completion=forced,
    )
    await balancer.start()
    invocations = InvocationService(
        store=store,
        scheduler=balancer,
        throttles=counter,
        config=InvocationConfig(
            controller_id=controller_id, max_blocking_wait_ms=settings.max_blocking_wait_ms
        ),
    )
    runner = ActionRunner(
        store, invocations, counter, bus=bus, encryption=settings.parameter_encryption
    )
    ctl = Controller(
        settings=settings,
        persistence=persistence,
        manifest=settings.load_manifest(),
        runner=runner,
        firer=runner.firer,
        invoker_health=balancer.invoker_health,
        traffic=TrafficGate(counter),
    )
    assembled = AssembledController(ctl, balancer, runner)
    if isinstance(counter, ReconciledThrottleCounter):
        assembled.admission = counter
        counter.start()
    if isinstance(store, CachingStore):
        assembled.cache_sync = CacheSync(
            bus, store, f"controller{controller_id}", settings.kafka_topic_prefix
        )
        await assembled.cache_sync.start()
    if settings.pending_sweep_seconds > 0:
        assembled.pending_sweeper = pending_sweeper(settings, store)
        assembled.pending_sweeper.start()
    # -- feeds: the /whisk.system catalog, then the providers (controller/catalog, /feeds) --
    await install_catalog(store, ctl.rules_for)
    assembled.feeds = FeedService(
        persistence, runner.firer, ctl.limits_for, f"controller{controller_id}"
    )
    await assembled.feeds.start()
    # -- end feeds --
    return assembled


def admission_counter(settings: Settings, persistence: Persistence) -> ThrottleCounter:
    """Throttle counts: the in-memory twin's as they are; otherwise shared through the
    database, answered from memory and reconciled in the background (or, with
    ``admission_sync_ms == 0``, counted in the database on every request)."""
    shared = persistence.throttles
    if isinstance(shared, MemoryThrottleCounter) or settings.admission_sync_ms <= 0:
        return shared
    return ReconciledThrottleCounter(shared, interval_s=settings.admission_sync_ms / 1000)


def pending_sweeper(settings: Settings, store: Store) -> PendingSweeper:
    """The sweeper of pending records past hope, as patient as this controller's balancer."""
    timeouts = settings.system_limits.ranges.timeout_ms
    policy = PendingPolicy(
        grace_ms=int(settings.pending_grace_seconds * 1000),
        min_timeout_ms=timeouts.min,
        max_timeout_ms=timeouts.max,
        floor_ms=settings.lb_timeout_floor_ms,
        factor=settings.lb_timeout_factor,
        addon_ms=settings.lb_timeout_addon_ms,
    )
    return PendingSweeper(store, policy, SweeperConfig(interval_s=settings.pending_sweep_seconds))
