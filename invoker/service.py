"""The invoker service: activations from ``invoker{N}`` run in the pool, stored, acknowledged.

For each record the feed (``invoker.feed``) takes within the pool's room:

1. decode the ``ActivationMessage`` (a malformed record is logged, skipped and committed);
2. skip an activation id this service already took (a redelivery: running or done);
3. start one task for the activation, which loads the action (``store.get``, cached by key and
   revision, LRU-bounded; a cached revision other than the message's is fetched again; a
   missing action completes as the application error OpenWhisk gives), maps it to a
   ``RunRequest`` and calls ``Invoker.run``;
4. store the final record (``put_activation`` replaces the controller's pending one), then
   publish ``CombinedCompletionAndResult`` on ``completed{root controller}``: the full record
   when blocking, only the id (``shrunk``) otherwise. The ack follows the write so a caller who
   reads the record after the ack finds it. A failed write is logged as an error and the ack
   still goes, with the full record in it. The record's usage (``whisk.usage``: billed ms,
   GB-seconds, cold start, error) goes with the write, summed and flushed with the records.

**Accepted** (when the feed commits the offset): the activation's task is running and either
the pool has registered the run (``on_accepted`` of ``ContainerPool.run``: it is queued or
placed, and ``drain`` waits for it) or the activation already has its final outcome without a
run (missing action, store failure, unknown kind): then only its record write and ack remain.
A batch is committed once every record in it is accepted (or skipped).

Crash guarantees (at most once per activation id, as ARCHITECTURE "Delivery guarantee"):

- crash before the commit: the uncommitted records go to the next member of the group
  ``invoker{N}`` (the restarted invoker). Those not yet accepted never ran, and run once there.
  Those accepted in the same batch may have started; they run again (OpenWhisk's window too).
- crash after the commit, before the record write and ack: the activation is lost; its record
  stays pending until the controller's slot times out and marks it ``whisk internal error``.
- record writes are batched behind by the store (``whisk.store.write_behind``): the write
  queues the record and the ack follows at once, so a crash (``kill -9``) can also lose the
  records of the last flush window (5 ms); a drain or stop flushes them.

Redeliveries within one process are recognised by id (the last ``dedup_size`` ids are kept);
a restarted process relies on the offset commit alone.

While draining, pings say ``isEnabled: false`` so controllers stop sending work here.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import structlog

from invoker.activations import (
    ActionCache,
    entity_key,
    failed_activation,
    package_of,
    run_request,
)
from invoker.feed import Capacity, MessageFeed, memory_share_mb
from invoker.invoker import Invoker
from whisk.bus import Bus, Consumer, Producer, Record, topics
from whisk.entities.action import Action
from whisk.entities.activation import (
    Activation,
    ActivationResponse,
    StatusCode,
    application_error,
    whisk_error,
)
from whisk.entities.encryption import ParameterEncryption
from whisk.entities.runtimes import RuntimeManifest
from whisk.errors import InvalidArgument, MalformedRequest, PayloadTooLarge, WhiskError
from whisk.messages import (
    ActivationMessage,
    CombinedCompletionAndResult,
    InvokerInstanceId,
    PingMessage,
)
from whisk.metrics import Metrics
from whisk.store.ports import Collection, Store
from whisk.store.records import activation_record
from whisk.usage import usage_of

log = structlog.get_logger(__name__)

ACTION_NOT_FOUND = "Action could not be found or may have been deleted."
ACTION_NOT_LOADED = "The action could not be loaded."


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class InvokerServiceConfig:
    manifest: RuntimeManifest
    min_action_memory_mb: int = 128  # the system's smallest action memory limit
    poll_timeout_s: float = 0.5
    ping_interval_s: float = 1.0
    action_cache_size: int = 1024
    dedup_size: int = 10_000
    topic_prefix: str = ""
    # decrypts the parameters stored encrypted (the controller's key: WHISK_PARAMETER_KEY)
    parameter_encryption: ParameterEncryption = field(default_factory=ParameterEncryption)

    def __post_init__(self) -> None:
        if self.min_action_memory_mb <= 0 or self.ping_interval_s <= 0:
            raise InvalidArgument("invoker service settings must be positive")
        if self.action_cache_size < 1 or self.dedup_size < 1:
            raise InvalidArgument("invoker service caches need room for one entry")


class ServiceState(StrEnum):
    NEW = "new"
    RUNNING = "running"
    DRAINING = "draining"
    STOPPED = "stopped"


# -- pure: from message and action to run request and records --------------------------------


# -- the service -------------------------------------------------------------------------------


class InvokerService:
    def __init__(
        self,
        instance: InvokerInstanceId,
        bus: Bus,
        store: Store,
        invoker: Invoker,
        config: InvokerServiceConfig,
        *,
        on_close: Sequence[Callable[[], Awaitable[None]]] = (),
        wall_ms: Callable[[], int] = _wall_ms,
        metrics: Metrics | None = None,
    ) -> None:
        """``on_close``: run by ``close`` once the pool is drained (the container factory's
        ``close``, for instance). The bus and the store belong to the caller. ``metrics``:
        where each completed record's figures go (the one place per process that records
        them)."""
        self.instance = instance
        self._bus = bus
        self._store = store
        self._invoker = invoker
        self._config = config
        self._on_close = tuple(on_close)
        self._wall_ms = wall_ms
        self._metrics = metrics
        capacity_mb = invoker.pool.state.capacity_mb
        if capacity_mb < config.min_action_memory_mb:
            raise InvalidArgument(
                f"{capacity_mb} MB of user memory cannot run the smallest action "
                f"({config.min_action_memory_mb} MB)"
            )
        self.capacity = Capacity(capacity_mb, config.min_action_memory_mb)
        self._actions = ActionCache(config.action_cache_size)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._completed_topics: set[str] = set()
        self.state = ServiceState.NEW
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self.feed: MessageFeed | None = None
        self._pinger: asyncio.Task[None] | None = None
        self.skipped_duplicates = 0

    @property
    def invoker(self) -> Invoker:
        return self._invoker

    @property
    def config(self) -> InvokerServiceConfig:
        return self._config

    @property
    def consumer(self) -> Consumer | None:
        """The ``invoker{N}`` consumer once started (its ``lag`` feeds the metrics)."""
        return self._consumer

    @property
    def topic(self) -> str:
        return topics.invoker_topic(self.instance.instance, self._config.topic_prefix)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Reap orphans and prewarm (``pool.start``), then ping and take work."""
        if self.state is not ServiceState.NEW:
            raise InvalidArgument(f"the invoker service is {self.state}, not new")
        health = topics.health_topic(self._config.topic_prefix)
        await self._bus.ensure_topic(self.topic)
        await self._bus.ensure_topic(health)
        await self._invoker.pool.start()
        self._producer = await self._bus.producer()
        # The group carries the topic prefix too, so stacks sharing a Kafka cluster stay apart.
        group = self._config.topic_prefix + topics.invoker_group(self.instance.instance)
        self._consumer = await self._bus.consumer(self.topic, group)
        self.state = ServiceState.RUNNING
        self._pinger = asyncio.create_task(self._ping_loop(health), name="invoker-pings")
        self.feed = MessageFeed(
            self._consumer, self.capacity, self._accept, poll_timeout_s=self._config.poll_timeout_s
        )
        self.feed.start()
        log.info(
            "invoker started",
            invoker=self.instance.instance,
            topic=self.topic,
            user_memory_mb=self.capacity.capacity_mb,
        )

    async def drain(self) -> None:
        """Stop taking work (pings say disabled), finish every accepted activation (stored
        and acknowledged), destroy the containers, then release the rest as ``close`` does."""
        if self.state is not ServiceState.RUNNING:
            return
        self.state = ServiceState.DRAINING
        log.info("invoker draining", running=len(self._tasks))
        await self._ping(topics.health_topic(self._config.topic_prefix))
        if self.feed is not None:
            await self.feed.stop()
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
        await self._invoker.pool.drain()
        await self.close()

    async def close(self) -> None:
        """Release everything now. Without a ``drain`` first this is a crash: running
        activations are cancelled and whatever was not committed is redelivered."""
        if self.state is ServiceState.STOPPED:
            return
        self.state = ServiceState.STOPPED
        if self._pinger is not None:
            self._pinger.cancel()
            await asyncio.gather(self._pinger, return_exceptions=True)
        if self.feed is not None:
            await self.feed.kill()
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
        await self._invoker.pool.drain()
        for client in (self._consumer, self._producer):
            if client is not None:
                await client.close()
        for closing in self._on_close:
            try:
                await closing()
            except Exception:
                log.exception("closing an invoker resource failed")
        log.info("invoker stopped", invoker=self.instance.instance)

    # -- taking activations ---------------------------------------------------------------------

    async def _accept(self, record: Record) -> None:
        """The feed's handler: returns once the activation is accepted (or skipped)."""
        try:
            message = ActivationMessage.from_bytes(record.value)
        except MalformedRequest as exc:
            log.warning(
                "skipping a malformed activation message", offset=record.offset, error=exc.message
            )
            return
        aid = message.activation_id
        if aid in self._seen:
            self.skipped_duplicates += 1
            log.info("skipping a redelivered activation", activation_id=aid, offset=record.offset)
            return
        self._seen[aid] = None
        while len(self._seen) > self._config.dedup_size:
            self._seen.popitem(last=False)
        self.capacity.take(aid)
        log.debug("activation accepted", activation_id=aid, invoker=self.instance.instance)
        accepted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(self._activation(message, accepted), name=f"activation-{aid}")
        self._tasks[aid] = task
        task.add_done_callback(lambda _: self._tasks.pop(aid, None))
        await accepted

    async def _activation(self, message: ActivationMessage, accepted: asyncio.Future[None]) -> None:
        aid = message.activation_id

        def settle() -> None:
            if not accepted.done():
                accepted.set_result(None)

        with structlog.contextvars.bound_contextvars(activation_id=aid, transid=message.transid.id):
            try:
                try:
                    activation = await self._run(message, settle)
                finally:
                    settle()
                    self.capacity.run_ended(aid)
                await self._complete(message, activation)
            finally:
                self.capacity.completed(aid)

    async def _run(self, message: ActivationMessage, accepted: Callable[[], None]) -> Activation:
        try:
            loaded = await self._load(message)
            if isinstance(loaded, ActivationResponse):
                return failed_activation(message, loaded, self._wall_ms())
            action, revision = loaded
            request = run_request(
                message, action, revision, self._config.manifest, self._config.parameter_encryption
            )
        except WhiskError as exc:
            log.warning("activation cannot run", error=exc.message)
            return failed_activation(message, whisk_error(exc.message), self._wall_ms())
        limits = request.limits
        self.capacity.resize(
            message.activation_id, memory_share_mb(limits.memory_mb, limits.concurrency)
        )
        return await self._invoker.run(request, on_accepted=accepted)

    async def _load(self, message: ActivationMessage) -> tuple[Action, str] | ActivationResponse:
        key = entity_key(message)
        cached = self._actions.get(key, message.revision)
        if cached is not None:
            return cached, message.revision or ""
        try:
            stored = await self._store.get(key)
        except Exception:
            log.exception("fetching the action failed", action=key.path)
            return whisk_error(ACTION_NOT_LOADED)
        if stored is None or stored.collection is not Collection.ACTIONS:
            return application_error(ACTION_NOT_FOUND)
        revision = str(stored.revision)
        if message.revision is not None and revision != message.revision:
            log.info(
                "running the stored revision",
                action=key.path,
                wanted=message.revision,
                stored=revision,
            )
        try:
            action = Action.from_stored(stored.doc, stored.updated)
        except (KeyError, TypeError, ValueError, WhiskError) as exc:
            log.error("the stored action is not valid", action=key.path, error=repr(exc))
            return whisk_error(ACTION_NOT_LOADED)
        self._actions.put(key, revision, action)
        return action, revision

    # -- completing -----------------------------------------------------------------------------

    async def _complete(self, message: ActivationMessage, activation: Activation) -> None:
        stored = True
        record = activation_record(activation, package_of(message))
        try:
            # the one place a primitive activation completes, once per id: it is metered here
            await self._store.put_activation(record, usage_of(record))
        except Exception:
            stored = False
            log.exception("STORING THE ACTIVATION RECORD FAILED; the ack carries the record")
        if self._metrics is not None:
            self._metrics.record_activation(activation)
        ack = CombinedCompletionAndResult(
            transid=message.transid,
            response=activation.to_stored_doc(),
            invoker=self.instance,
            is_system_error=activation.status_code is StatusCode.WHISK_ERROR,
        )
        if stored and not message.blocking:
            ack = ack.shrunk()
        await self._acknowledge(message.root_controller_index.as_string, ack)

    async def _acknowledge(self, controller: str, ack: CombinedCompletionAndResult) -> None:
        """One send per completion, from the activation's own task, never a flush: acks of
        activations finishing together leave in one produce request (the Kafka producer keeps
        one in flight and batches what waits), and a lone ack leaves at once (no linger);
        measured in ``bench/kafka_acks.py``, see ``whisk.bus.kafka``."""
        topic = topics.completed_topic(controller, self._config.topic_prefix)
        assert self._producer is not None
        try:
            if topic not in self._completed_topics:
                await self._bus.ensure_topic(topic)
                self._completed_topics.add(topic)
            try:
                await self._producer.send(topic, ack.to_bytes())
            except PayloadTooLarge:
                log.warning("the ack is too large for the bus; sending only the id")
                await self._producer.send(topic, ack.shrunk().to_bytes())
        except WhiskError as exc:
            log.error("sending the ack failed", topic=topic, error=exc.message)

    # -- health ---------------------------------------------------------------------------------

    async def _ping(self, topic: str) -> None:
        if self._producer is None:
            return
        ping = PingMessage(self.instance, enabled=self.state is ServiceState.RUNNING)
        try:
            await self._producer.send(topic, ping.to_bytes())
        except WhiskError as exc:
            log.warning("health ping failed", error=exc.message)

    async def _ping_loop(self, topic: str) -> None:
        while True:
            await self._ping(topic)
            await asyncio.sleep(self._config.ping_interval_s)
