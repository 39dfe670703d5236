"""The load balancer over a real bus, with fake invokers that speak the real messages.

A ``FakeInvoker`` consumes ``invoker{N}``, pings ``health`` when the test says so, and acks on
``completed{C}`` (at once, or when the test says so). The balancer runs on a fake clock and its
ticker is effectively off: tests advance the clock and call ``run_checks()`` themselves, so no
test depends on how fast this machine is. Most tests use the in-process bus; one runs the same
flow over a real Kafka broker (marker ``kafka``; skipped without a broker, fails in CI).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from controller.loadbalancer import AckResult, ActivationEntry, BalancerConfig, LoadBalancer
from controller.loadbalancer.health import InvokerState, Outcome
from controller.loadbalancer.scheduling import action_hash, probe_order
from tests.bus.conftest import kafka_bootstrap  # noqa: F401  (session fixture: a real broker)
from whisk.bus import Bus, Consumer, Producer, open_bus, topics
from whisk.bus.memory import MemoryBus
from whisk.errors import PayloadTooLarge, Unavailable
from whisk.messages import (
    ActionRef,
    ActivationMessage,
    CombinedCompletionAndResult,
    CompletionMessage,
    ControllerInstanceId,
    InvokerInstanceId,
    PingMessage,
    ResultMessage,
    TransactionId,
    UserRef,
)

WAIT_S = 30.0  # an upper bound for things that happen at once; never a timing assertion
NS = "guest"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeInvoker:
    """Takes activations from ``invoker{N}``; acks them at once when ``auto_ack``."""

    def __init__(
        self,
        bus: Bus,
        instance: int,
        *,
        memory_mb: int = 512,
        prefix: str = "",
        auto_ack: bool = True,
    ) -> None:
        self.bus = bus
        self.prefix = prefix
        self.id = InvokerInstanceId(instance, memory_mb, unique_name=f"fake{instance}")
        self.auto_ack = auto_ack
        self.system_error = False
        self.received: asyncio.Queue[ActivationMessage] = asyncio.Queue()
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._producer = await self.bus.producer()
        topic = topics.invoker_topic(self.id.instance, self.prefix)
        self._consumer = await self.bus.consumer(
            topic, self.prefix + topics.invoker_group(self.id.instance)
        )
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            for record in await self._consumer.poll(16, 0.2):
                message = ActivationMessage.from_bytes(record.value)
                await self.received.put(message)
                if self.auto_ack:
                    await self.ack(message, system_error=self.system_error)
            await self._consumer.commit()

    async def next_message(self) -> ActivationMessage:
        async with asyncio.timeout(WAIT_S):
            return await self.received.get()

    async def ping(self, enabled: bool = True) -> None:
        assert self._producer is not None
        ping = PingMessage(self.id, enabled)
        await self._producer.send(topics.health_topic(self.prefix), ping.to_bytes())

    async def send_ack(self, message: ActivationMessage, ack: Any) -> None:
        assert self._producer is not None
        controller = message.root_controller_index.as_string
        await self._producer.send(topics.completed_topic(controller, self.prefix), ack.to_bytes())

    async def ack(self, message: ActivationMessage, *, system_error: bool = False) -> None:
        """A combined completion, with the record when blocking and shrunk otherwise."""
        response = a_record(message, system_error) if message.blocking else message.activation_id
        ack = CombinedCompletionAndResult(message.transid, response, self.id, system_error)
        await self.send_ack(message, ack)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.close()
        if self._producer is not None:
            await self._producer.close()


def a_record(message: ActivationMessage, system_error: bool = False) -> dict[str, Any]:
    code, result = (3, {"error": "boom"}) if system_error else (0, {"ok": True})
    return {
        "activationId": message.activation_id,
        "namespace": message.user.namespace,
        "name": message.action.name,
        "response": {"statusCode": code, "result": result},
        "logs": [],
    }


def an_activation(
    name: str = "hello", *, blocking: bool = True, controller: str = "0"
) -> ActivationMessage:
    return ActivationMessage(
        transid=TransactionId(f"tid-{uuid.uuid4().hex[:8]}", 1_700_000_000_000),
        action=ActionRef(NS, name, "0.0.1"),
        revision="1",
        user=UserRef(NS, NS),
        activation_id=uuid.uuid4().hex,
        root_controller_index=ControllerInstanceId(controller),
        blocking=blocking,
        content={"name": "Ada"},
    )


def action_with_home(home: int, n: int) -> str:
    """An action name whose home invoker among ``n`` is ``home``."""
    for i in range(1000):
        name = f"act{i}"
        if probe_order(action_hash(NS, f"{NS}/{name}"), n)[0] == home:
            return name
    raise AssertionError("no such action name")


class Harness:
    def __init__(self, bus: Bus, clock: FakeClock, config: BalancerConfig, rng: random.Random):
        self.bus, self.clock, self.config = bus, clock, config
        self.forced: list[ActivationEntry] = []
        self.lb = LoadBalancer(
            bus, config, on_forced_completion=self._on_forced, clock=clock, rng=rng
        )
        self.invokers: list[FakeInvoker] = []

    async def _on_forced(self, entry: ActivationEntry) -> None:
        self.forced.append(entry)

    async def invoker(self, instance: int, **kwargs: Any) -> FakeInvoker:
        fake = FakeInvoker(self.bus, instance, prefix=self.config.topic_prefix, **kwargs)
        await fake.start()
        self.invokers.append(fake)
        return fake

    async def pinged(self, *fakes: FakeInvoker) -> None:
        """Every fake pings, and the balancer has seen each ping at the current time."""
        for fake in fakes:
            await fake.ping()
        now = self.clock.now
        seen = await self.lb.wait_until(
            lambda lb: all(
                len(lb.invoker_states()) > f.id.instance
                and lb.invoker_states()[f.id.instance].last_ping_at == now
                for f in fakes
            ),
            WAIT_S,
        )
        assert seen, self.lb.invoker_health()

    async def publish(
        self, message: ActivationMessage, *, memory_mb: int = 256, timeout_ms: int = 1000
    ) -> asyncio.Future[AckResult]:
        return await self.lb.publish(
            message,
            namespace=NS,
            action=f"{message.action.path}/{message.action.name}",
            memory_mb=memory_mb,
            timeout_ms=timeout_ms,
        )


async def result_of(future: asyncio.Future[AckResult]) -> AckResult:
    async with asyncio.timeout(WAIT_S):
        return await future


def config(**overrides: Any) -> BalancerConfig:
    values: dict[str, Any] = {
        "controller_id": "0",
        "health_tick_s": 3600.0,  # the tests run the checks themselves
        "timeout_addon_ms": 500,
        "poll_timeout_s": 0.2,
    }
    return BalancerConfig(**(values | overrides))


@pytest.fixture
async def memory_bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus()
    yield bus
    await bus.close()


async def harness_on(bus: Bus, cfg: BalancerConfig, seed: int = 7) -> Harness:
    h = Harness(bus, FakeClock(), cfg, random.Random(seed))
    await h.lb.start()
    return h


@pytest.fixture
async def harness(memory_bus: MemoryBus) -> AsyncIterator[Harness]:
    h = await harness_on(memory_bus, config())
    yield h
    await h.lb.close()
    for fake in h.invokers:
        await fake.close()


# --- tests ----------------------------------------------------------------------------------


async def test_balancer_routes_to_the_home_invoker_and_resolves_with_the_record(
    harness: Harness,
) -> None:
    fakes = [await harness.invoker(i) for i in range(3)]
    await harness.pinged(*fakes)
    message = an_activation(action_with_home(2, 3))

    future = await harness.publish(message)

    assert (await fakes[2].next_message()).activation_id == message.activation_id
    result = await result_of(future)
    assert result == AckResult(message.activation_id, 2, a_record(message), False, False)
    assert harness.lb.in_flight(NS) == 0
    assert harness.lb.invoker_slots()[2].used_mb == 0
    assert harness.lb.invoker_health() == {"invoker0": "up", "invoker1": "up", "invoker2": "up"}
    assert harness.lb.invoker_states()[2].outcomes == (Outcome.SUCCESS,)


async def test_balancer_non_blocking_ack_resolves_without_a_record(harness: Harness) -> None:
    fake = await harness.invoker(0)
    await harness.pinged(fake)
    message = an_activation(blocking=False)
    result = await result_of(await harness.publish(message))
    assert (result.record, result.is_system_error, result.forced) == (None, False, False)


async def test_balancer_spreads_to_the_next_invoker_when_home_is_full(harness: Harness) -> None:
    fakes = [await harness.invoker(i, memory_mb=256, auto_ack=False) for i in range(2)]
    await harness.pinged(*fakes)
    name = action_with_home(0, 2)

    first = an_activation(name)
    second = an_activation(name)
    await harness.publish(first)
    await harness.publish(second)

    assert (await fakes[0].next_message()).activation_id == first.activation_id
    assert (await fakes[1].next_message()).activation_id == second.activation_id
    assert [s.used_mb for s in harness.lb.invoker_slots()] == [256, 256]
    assert harness.lb.in_flight(NS) == 2


async def test_balancer_overflows_to_a_random_usable_invoker_when_all_are_full(
    harness: Harness,
) -> None:
    fakes = [await harness.invoker(i, memory_mb=256, auto_ack=False) for i in range(2)]
    await harness.pinged(*fakes)
    name = action_with_home(0, 2)
    await harness.publish(an_activation(name))
    await harness.publish(an_activation(name))

    extra = an_activation(name)
    await harness.publish(extra)

    entry = harness.lb.entry(extra.activation_id)
    assert entry is not None and entry.overloaded
    expected = random.Random(7).choice([0, 1])  # the harness's rng, seeded 7, first draw
    assert entry.invoker == expected
    assert harness.lb.invoker_slots()[expected].used_mb == 512
    await fakes[expected].next_message()
    assert (await fakes[expected].next_message()).activation_id == extra.activation_id


async def test_balancer_answers_unavailable_without_a_usable_invoker(harness: Harness) -> None:
    with pytest.raises(Unavailable) as raised:
        await harness.publish(an_activation())
    assert raised.value.message == Unavailable.default_message

    fake = await harness.invoker(0)
    await fake.ping(enabled=False)
    assert await harness.lb.wait_until(
        lambda lb: lb.invoker_health() == {"invoker0": "down"}, WAIT_S
    )
    with pytest.raises(Unavailable):
        await harness.publish(an_activation())
    assert harness.lb.in_flight() == 0


async def test_balancer_sends_work_elsewhere_once_an_invoker_stops_pinging(
    harness: Harness,
) -> None:
    fakes = [await harness.invoker(i) for i in range(2)]
    await harness.pinged(*fakes)
    harness.clock.now += 5
    await harness.pinged(fakes[1])  # invoker0 falls silent

    harness.clock.now += 6  # 11 s since invoker0's last ping, 6 s since invoker1's
    await harness.lb.run_checks()

    assert harness.lb.invoker_health() == {"invoker0": "down", "invoker1": "up"}
    assert harness.lb.healthy_count() == 1
    message = an_activation(action_with_home(0, 2))
    result = await result_of(await harness.publish(message))
    assert result.invoker == 1


async def test_balancer_forces_a_missing_completion_and_ignores_the_late_ack(
    harness: Harness,
) -> None:
    fake = await harness.invoker(0, auto_ack=False)
    await harness.pinged(fake)
    lost = an_activation()
    future = await harness.publish(lost, memory_mb=128, timeout_ms=1000)
    message = await fake.next_message()

    # deadline = max(1 s, 60 s) * 2 + 0.5 s = 120.5 s after publishing
    harness.clock.now += 120
    await harness.pinged(fake)
    await harness.lb.run_checks()
    assert not future.done() and harness.forced == []

    harness.clock.now += 1
    await harness.pinged(fake)
    await harness.lb.run_checks()
    result = await result_of(future)
    assert result == AckResult(lost.activation_id, 0, None, False, forced=True)
    assert [e.activation_id for e in harness.forced] == [lost.activation_id]
    assert harness.forced[0].namespace == NS and harness.forced[0].memory_mb == 128
    assert harness.lb.invoker_states()[0].outcomes == (Outcome.TIMEOUT,)
    assert harness.lb.in_flight(NS) == 0

    # the late ack is ignored: no second release, no outcome; a later ack still counts
    held = an_activation()
    held_future = await harness.publish(held, memory_mb=256)
    await fake.next_message()
    after = an_activation()
    after_future = await harness.publish(after, memory_mb=128)
    await fake.ack(message)
    await fake.ack(await fake.next_message())
    assert (await result_of(after_future)).activation_id == after.activation_id
    assert harness.lb.invoker_states()[0].outcomes == (Outcome.TIMEOUT, Outcome.SUCCESS)
    assert harness.lb.invoker_slots()[0].used_mb == 256
    assert harness.lb.in_flight(NS) == 1 and not held_future.done()


async def test_balancer_result_message_resolves_early_and_completion_frees_the_slot(
    harness: Harness,
) -> None:
    fake = await harness.invoker(0, auto_ack=False)
    await harness.pinged(fake)
    message = an_activation()
    future = await harness.publish(message)
    await fake.next_message()

    await fake.send_ack(message, ResultMessage(message.transid, a_record(message)))
    result = await result_of(future)
    assert result.record == a_record(message)
    assert harness.lb.in_flight(NS) == 1 and harness.lb.invoker_slots()[0].used_mb == 256

    completion = CompletionMessage(message.transid, message.activation_id, fake.id, False)
    await fake.send_ack(message, completion)
    assert await harness.lb.wait_until(lambda lb: lb.in_flight(NS) == 0, WAIT_S)
    assert harness.lb.invoker_slots()[0].used_mb == 0
    assert harness.lb.invoker_states()[0].outcomes == (Outcome.SUCCESS,)


async def test_balancer_probes_an_unhealthy_invoker_after_its_cool_down(harness: Harness) -> None:
    fake = await harness.invoker(0)
    await harness.pinged(fake)
    fake.system_error = True
    for _ in range(4):
        result = await result_of(await harness.publish(an_activation()))
        assert result.is_system_error
    assert harness.lb.invoker_health() == {"invoker0": "unhealthy"}
    with pytest.raises(Unavailable):
        await harness.publish(an_activation())

    harness.clock.now += 10  # the cool-down
    await harness.pinged(fake)
    await harness.lb.run_checks()
    assert harness.lb.invoker_states()[0].state is InvokerState.PROBING
    fake.system_error = False
    fake.auto_ack = False
    while not fake.received.empty():  # forget the four that were acked already
        fake.received.get_nowait()
    probe = await harness.publish(an_activation())
    with pytest.raises(Unavailable):  # one probe at a time
        await harness.publish(an_activation())
    await fake.ack(await fake.next_message())
    assert not (await result_of(probe)).is_system_error
    assert harness.lb.invoker_health() == {"invoker0": "up"}
    assert harness.lb.invoker_states()[0].outcomes == ()


async def test_balancer_send_failure_releases_the_slot() -> None:
    bus = MemoryBus(max_message_bytes=2048)
    h = await harness_on(bus, config())
    try:
        fake = await h.invoker(0)
        await h.pinged(fake)
        big = replace(an_activation(), content={"blob": "x" * 4096})
        with pytest.raises(PayloadTooLarge):
            await h.publish(big)
        assert h.lb.in_flight() == 0 and h.lb.invoker_slots()[0].used_mb == 0
        assert h.lb.entry(big.activation_id) is None
    finally:
        await h.lb.close()
        for fake in h.invokers:
            await fake.close()
        await bus.close()


async def test_balancer_close_fails_pending_activations(harness: Harness) -> None:
    fake = await harness.invoker(0, auto_ack=False)
    await harness.pinged(fake)
    future = await harness.publish(an_activation())
    await harness.lb.close()
    with pytest.raises(Unavailable) as raised:
        await future
    assert raised.value.message == "The controller is shutting down."
    with pytest.raises(Unavailable):
        await harness.publish(an_activation())


async def test_balancer_ticker_marks_a_silent_invoker_down_on_its_own(
    memory_bus: MemoryBus,
) -> None:
    # real clock, short ticks: the background ticker, not the test, runs the checks
    lb = LoadBalancer(memory_bus, config(health_tick_s=0.02, ping_timeout_s=0.1))
    await lb.start()
    fake = FakeInvoker(memory_bus, 0)
    await fake.start()
    try:
        await fake.ping()  # seen (last_ping_at set, so it was up), then silent: down
        seen_then_down = await lb.wait_until(
            lambda lb: (
                bool(lb.invoker_states())
                and lb.invoker_states()[0].last_ping_at is not None
                and lb.invoker_states()[0].state is InvokerState.DOWN
            ),
            WAIT_S,
        )
        assert seen_then_down, lb.invoker_health()
    finally:
        await lb.close()
        await fake.close()


@pytest.mark.kafka
async def test_balancer_round_trip_over_kafka(kafka_bootstrap: str) -> None:  # noqa: F811
    prefix = f"lb{uuid.uuid4().hex[:8]}-"
    controller = "c0"
    bus = open_bus(f"kafka://{kafka_bootstrap}", client_id=f"test-{prefix}")
    h = await harness_on(bus, config(controller_id=controller, topic_prefix=prefix))
    try:
        fakes = [await h.invoker(i) for i in range(2)]
        await h.pinged(*fakes)
        message = an_activation(action_with_home(1, 2), controller=controller)
        result = await result_of(await h.publish(message))
        assert result == AckResult(message.activation_id, 1, a_record(message), False, False)
        assert h.lb.in_flight(NS) == 0 and h.lb.invoker_slots()[1].used_mb == 0
    finally:
        await h.lb.close()
        for fake in h.invokers:
            await fake.close()
        await bus.close()


async def test_balancer_forces_at_once_what_a_silent_invoker_held(harness: Harness) -> None:
    """An invoker killed mid-run stops pinging: its activations end when it is marked down
    (ping timeout), not minutes later at their deadline."""
    fakes = [await harness.invoker(0, auto_ack=False), await harness.invoker(1)]
    await harness.pinged(*fakes)
    held = an_activation(action_with_home(0, 2))
    future = await harness.publish(held, timeout_ms=5_000)
    await fakes[0].next_message()

    harness.clock.now += 11  # past the 10 s ping timeout; the deadline is minutes away
    await harness.pinged(fakes[1])
    await harness.lb.run_checks()

    assert harness.lb.invoker_health() == {"invoker0": "down", "invoker1": "up"}
    result = await result_of(future)
    assert result == AckResult(held.activation_id, 0, None, False, forced=True)
    assert [e.activation_id for e in harness.forced] == [held.activation_id]
    assert harness.lb.in_flight(NS) == 0


async def test_balancer_leaves_a_draining_invokers_work_to_finish(harness: Harness) -> None:
    fake = await harness.invoker(0, auto_ack=False)
    await harness.pinged(fake)
    held = an_activation()
    future = await harness.publish(held, timeout_ms=5_000)
    await fake.next_message()
    await fake.ping(enabled=False)  # draining: it pings "disabled" and finishes what it took
    down = await harness.lb.wait_until(
        lambda lb: lb.invoker_states()[0].state.value == "down", WAIT_S
    )
    assert down
    await harness.lb.run_checks()
    assert harness.lb.invoker_health() == {"invoker0": "down"}
    assert not future.done() and harness.forced == []
