"""The load balancer shell: publishes activations to invokers and supervises them over the bus.

Decisions are pure and live elsewhere (``scheduling``: which invoker; ``health``: is it
usable; ``acks``: what an acknowledgement means). This module keeps the state they work on and
does the I/O:

- ``publish`` places an activation (home invoker first, then its probe sequence, then a random
  usable one when all are full), takes its memory, sends the ``ActivationMessage`` on
  ``invoker{N}`` and returns a future of its ``AckResult``.
- a consumer of ``completed{C}`` (group ``completed{C}``) resolves those futures, frees memory
  and records each outcome in the invoker's health;
- a consumer of ``health`` (group ``health{C}``: every controller sees every ping) keeps the
  invokers' health and memory current;
- a ticker, every ``health_tick_s``, marks silent invokers down, opens probes, and forces the
  completion of activations past their deadline.

Group ids get the topic prefix too, so stacks that share a Kafka cluster never share a group.
Nothing here sleeps in a loop waiting for work: the consumers block in the bus's ``poll``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from controller.loadbalancer import acks, health
from controller.loadbalancer.acks import AckResult, ActivationEntry
from controller.loadbalancer.health import HealthPolicy, InvokerHealth, Outcome
from controller.loadbalancer.scheduling import InvokerSlots, action_hash, schedule
from whisk.bus import Bus, Consumer, Producer, topics
from whisk.errors import InternalError, InvalidArgument, MalformedRequest, Unavailable
from whisk.messages import ActivationMessage, PingMessage, parse_acknowledgement

log = structlog.get_logger(__name__)

MAX_INVOKERS = 4096  # a ping naming a higher instance is refused (a typo, not a cluster)
SHUTTING_DOWN = "The controller is shutting down."

ForcedCompletionHook = Callable[[ActivationEntry], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class BalancerConfig:
    controller_id: str
    cluster_size: int = 1
    topic_prefix: str = ""
    timeout_factor: float = 2.0
    timeout_addon_ms: int = 60_000
    timeout_floor_ms: int = 60_000  # OpenWhisk: max(action timeout, 1 min) * factor + addon
    ping_timeout_s: float = 10.0
    health_tick_s: float = 1.0
    probe_cool_down_s: float = 10.0
    min_action_memory_mb: int = 128
    poll_timeout_s: float = 0.5
    max_poll_records: int = 128

    def __post_init__(self) -> None:
        topics.completed_topic(self.controller_id, self.topic_prefix)  # validates both
        if self.cluster_size < 1:
            raise InvalidArgument(f"cluster size must be >= 1, got {self.cluster_size}")
        if self.timeout_factor <= 0 or self.timeout_addon_ms < 0 or self.timeout_floor_ms < 0:
            raise InvalidArgument("timeout factor must be > 0, add-on and floor >= 0 ms")
        if self.health_tick_s <= 0 or self.poll_timeout_s <= 0 or self.max_poll_records < 1:
            raise InvalidArgument("health tick and poll timeout must be > 0, max records >= 1")
        if self.min_action_memory_mb < 1:
            raise InvalidArgument("min action memory must be >= 1 MB")
        self.health_policy()  # validates the health settings

    def health_policy(self) -> HealthPolicy:
        return HealthPolicy(ping_timeout_s=self.ping_timeout_s, cool_down_s=self.probe_cool_down_s)


class LoadBalancer:
    def __init__(
        self,
        bus: Bus,
        config: BalancerConfig,
        *,
        on_forced_completion: ForcedCompletionHook | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._bus = bus
        self._config = config
        self._policy = config.health_policy()
        self._on_forced_completion = on_forced_completion
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._health: list[InvokerHealth] = []
        self._slots: list[InvokerSlots] = []
        self._entries: dict[str, ActivationEntry] = {}
        self._futures: dict[str, asyncio.Future[AckResult]] = {}
        self._per_namespace: Counter[str] = Counter()
        self._topics_ready: set[int] = set()
        self._producer: Producer | None = None
        self._consumers: list[Consumer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._changed = asyncio.Condition()
        self._closed = False

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        cfg, prefix = self._config, self._config.topic_prefix
        completed = topics.completed_topic(cfg.controller_id, prefix)
        pings = topics.health_topic(prefix)
        await self._bus.ensure_topic(completed, topics.COMPLETED_RETENTION_MS)
        await self._bus.ensure_topic(pings, topics.HEALTH_RETENTION_MS)
        self._producer = await self._bus.producer()
        health_consumer = await self._bus.consumer(
            pings, prefix + topics.health_group(cfg.controller_id)
        )
        self._consumers.append(health_consumer)
        acks_consumer = await self._bus.consumer(
            completed, prefix + topics.completed_group(cfg.controller_id)
        )
        self._consumers.append(acks_consumer)
        self._tasks = [
            asyncio.create_task(self._consume(health_consumer, self._on_ping), name="lb-health"),
            asyncio.create_task(self._consume(acks_consumer, self._on_ack), name="lb-acks"),
            asyncio.create_task(self._tick_forever(), name="lb-tick"),
        ]
        log.info("lb.started", controller=cfg.controller_id, completed=completed, health=pings)

    async def close(self) -> None:
        """Stop consuming; every activation still waited for fails with ``Unavailable``."""
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for consumer in self._consumers:
            await consumer.close()
        self._consumers.clear()
        if self._producer is not None:
            await self._producer.close()
        for future in self._futures.values():
            if not future.done():
                future.set_exception(Unavailable(SHUTTING_DOWN))
                future.exception()  # nobody may await a non-blocking one: do not log it
        self._futures.clear()
        self._entries.clear()
        self._per_namespace.clear()

    # --- the hot path -----------------------------------------------------------------------

    async def publish(
        self,
        message: ActivationMessage,
        *,
        namespace: str,
        action: str,
        memory_mb: int,
        timeout_ms: int,
    ) -> asyncio.Future[AckResult]:
        """Send ``message`` to an invoker; the future resolves when it is acknowledged.

        ``namespace`` is the invoking namespace (throttling, hashing), ``action`` the fully
        qualified action name (hashing). Raises ``Unavailable`` when no invoker is usable or
        the bus cannot take the message, ``PayloadTooLarge`` when the message is too big.
        """
        producer = self._producer
        if producer is None or self._closed:
            raise Unavailable(SHUTTING_DOWN if self._closed else None)
        activation_id = message.activation_id
        if activation_id in self._entries:
            raise InternalError(f"activation {activation_id} is already in flight")
        payload = message.to_bytes()
        placement = schedule(
            action_hash(namespace, action),
            self._slots,
            [h.usable for h in self._health],
            memory_mb,
            self._rng,
        )
        if placement is None:
            log.warning("lb.no_usable_invoker", activation_id=activation_id, action=action)
            raise Unavailable()
        index = placement.invoker
        self._slots[index] = placement.slots[index]
        self._advance(index, health.Dispatched(activation_id))
        now = self._clock()
        cfg = self._config
        entry = ActivationEntry(
            activation_id=activation_id,
            namespace=namespace,
            action=action,
            invoker=index,
            memory_mb=memory_mb,
            blocking=message.blocking,
            deadline=now
            + acks.deadline_s(
                timeout_ms,
                floor_ms=cfg.timeout_floor_ms,
                factor=cfg.timeout_factor,
                addon_ms=cfg.timeout_addon_ms,
            ),
            issued_at=now,
            transid=message.transid,
            overloaded=placement.forced,
        )
        future: asyncio.Future[AckResult] = asyncio.get_running_loop().create_future()
        self._entries[activation_id] = entry  # before sending: the ack may come at once
        self._futures[activation_id] = future
        self._per_namespace[namespace] += 1
        topic = topics.invoker_topic(index, cfg.topic_prefix)
        try:
            if index not in self._topics_ready:
                await self._bus.ensure_topic(topic, topics.INVOKER_RETENTION_MS)
                self._topics_ready.add(index)
            await producer.send(topic, payload)
        except BaseException:
            if self._entries.get(activation_id) is entry:
                self._finish(entry)
                self._advance(index, health.Withdrawn(activation_id))
            future.cancel()
            raise
        if placement.forced:
            log.info("lb.overloaded", activation_id=activation_id, invoker=index)
        log.debug("lb.published", activation_id=activation_id, invoker=index, topic=topic)
        return future

    # --- views ------------------------------------------------------------------------------

    def invoker_health(self) -> dict[str, str]:
        """``{"invoker0": "up", ...}`` as ``GET /invokers`` shows it."""
        return {f"invoker{i}": h.rest_name for i, h in enumerate(self._health)}

    def invoker_states(self) -> tuple[InvokerHealth, ...]:
        return tuple(self._health)

    def consumers(self) -> tuple[Consumer, ...]:
        """The health and completion consumers (their ``lag`` feeds the metrics)."""
        return tuple(self._consumers)

    def invoker_slots(self) -> tuple[InvokerSlots, ...]:
        return tuple(self._slots)

    def healthy_count(self) -> int:
        return sum(1 for h in self._health if h.state is health.InvokerState.UP)

    def in_flight(self, namespace: str | None = None) -> int:
        """Activations of ``namespace`` (all if ``None``) published and not completed."""
        return len(self._entries) if namespace is None else self._per_namespace[namespace]

    def entry(self, activation_id: str) -> ActivationEntry | None:
        return self._entries.get(activation_id)

    async def wait_until(self, predicate: Callable[[LoadBalancer], bool], timeout_s: float) -> bool:
        """Wait until ``predicate(self)`` holds (re-checked after every ping, ack and tick);
        ``False`` if it still does not after ``timeout_s``."""
        async with self._changed:
            try:
                async with asyncio.timeout(timeout_s):
                    await self._changed.wait_for(lambda: predicate(self))
            except TimeoutError:
                return False
            return True

    # --- checks (the ticker; tests call it directly with a fake clock) -----------------------

    async def run_checks(self) -> None:
        """Advance every invoker's health to now, then force the completion of every
        activation past its deadline, and at once of every activation held by an invoker that
        fell silent (no ping for ``ping_timeout_s``; a draining invoker still pings, so its
        work is left to finish), awaiting ``on_forced_completion`` for each."""
        now = self._clock()
        silenced: set[int] = set()
        for index in range(len(self._health)):
            was_down = self._health[index].state is health.InvokerState.DOWN
            self._advance(index, health.Tick(), now)
            if not was_down and self._health[index].state is health.InvokerState.DOWN:
                silenced.add(index)  # stopped pinging: what it holds will not be answered
        expired = [
            e for e in self._entries.values() if e.deadline <= now or e.invoker in silenced
        ]
        for entry in expired:
            await self._force(entry)
        await self._notify()

    async def _force(self, entry: ActivationEntry) -> None:
        log.warning(
            "lb.forced_completion",
            activation_id=entry.activation_id,
            invoker=entry.invoker,
            action=entry.action,
        )
        future = self._finish(entry)
        self._advance(entry.invoker, health.Finished(entry.activation_id, Outcome.TIMEOUT))
        _resolve(future, AckResult(entry.activation_id, entry.invoker, None, False, forced=True))
        if self._on_forced_completion is not None:
            try:
                await self._on_forced_completion(entry)
            except Exception:
                log.exception("lb.forced_completion_hook_failed", activation_id=entry.activation_id)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._config.health_tick_s)
            try:
                await self.run_checks()
            except Exception:
                log.exception("lb.checks_failed")

    # --- consumers --------------------------------------------------------------------------

    async def _consume(self, consumer: Consumer, handle: Callable[[bytes], None]) -> None:
        cfg = self._config
        while True:
            try:
                batch = await consumer.poll(cfg.max_poll_records, cfg.poll_timeout_s)
                if not batch:
                    continue
                for record in batch:
                    try:
                        handle(record.value)
                    except Exception:  # a bug must not stop supervision
                        log.exception(
                            "lb.record_failed", topic=consumer.topic, offset=record.offset
                        )
                await consumer.commit()
            except Unavailable as exc:
                log.warning("lb.bus_unavailable", topic=consumer.topic, error=exc.message)
                await asyncio.sleep(cfg.poll_timeout_s)  # back off, then try again
                continue
            await self._notify()

    def _on_ping(self, data: bytes) -> None:
        try:
            ping = PingMessage.from_bytes(data)
        except MalformedRequest as exc:
            log.warning("lb.bad_ping", error=exc.message)
            return
        index = ping.invoker.instance
        if index >= MAX_INVOKERS:
            log.warning("lb.ping_refused", invoker=index, max_invokers=MAX_INVOKERS)
            return
        while len(self._health) <= index:
            self._health.append(InvokerHealth())
            self._slots.append(InvokerSlots(0))
        cfg = self._config
        capacity = InvokerSlots.for_invoker(
            ping.invoker.user_memory_mb, cfg.cluster_size, cfg.min_action_memory_mb
        ).capacity_mb
        if self._slots[index].capacity_mb != capacity:
            self._slots[index] = self._slots[index].resized(capacity)
        self._advance(index, health.Ping(ping.enabled))

    def _on_ack(self, data: bytes) -> None:
        try:
            ack = acks.read_ack(parse_acknowledgement(data))
        except MalformedRequest as exc:
            log.warning("lb.bad_ack", error=exc.message)
            return
        entry = self._entries.get(ack.activation_id)
        if entry is None:
            log.debug("lb.ack_ignored", activation_id=ack.activation_id, reason="not in flight")
            return
        future = self._futures.get(ack.activation_id)
        if ack.frees_slot:
            self._finish(entry)
            outcome = Outcome.SYSTEM_ERROR if ack.is_system_error else Outcome.SUCCESS
            self._advance(entry.invoker, health.Finished(entry.activation_id, outcome))
        result = AckResult(entry.activation_id, entry.invoker, ack.record, ack.is_system_error)
        _resolve(future, result)

    # --- bookkeeping ------------------------------------------------------------------------

    def _finish(self, entry: ActivationEntry) -> asyncio.Future[AckResult] | None:
        """Forget ``entry`` and give its memory back; returns its future."""
        del self._entries[entry.activation_id]
        self._slots[entry.invoker] = self._slots[entry.invoker].release(entry.memory_mb)
        self._per_namespace[entry.namespace] -= 1
        if self._per_namespace[entry.namespace] <= 0:
            del self._per_namespace[entry.namespace]
        return self._futures.pop(entry.activation_id, None)

    def _advance(self, index: int, event: health.Event, now: float | None = None) -> None:
        before = self._health[index]
        after = health.advance(before, event, self._clock() if now is None else now, self._policy)
        if after.state is not before.state:
            log.info(
                "lb.invoker_state",
                invoker=f"invoker{index}",
                previous=before.state.value,
                state=after.state.value,
            )
        self._health[index] = after

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _resolve(future: asyncio.Future[Any] | None, result: AckResult) -> None:
    if future is not None and not future.done():
        future.set_result(result)


__all__ = ["BalancerConfig", "ForcedCompletionHook", "LoadBalancer"]
