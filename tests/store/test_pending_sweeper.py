"""The pending sweeper and the forced completion on real stores (memory, SQLite, PostgreSQL):
records past hope become whisk internal errors, nothing final is ever overwritten."""

from __future__ import annotations

from controller.invocation import (
    SYSTEM_ERROR_FORCED,
    InvocationConfig,
    InvocationService,
)
from controller.pending import PendingPolicy
from controller.pending_sweeper import PendingSweeper, SweeperConfig
from controller.throttle import MemoryThrottleCounter
from whisk.entities.activation import (
    Activation,
    ActivationId,
    StatusCode,
    annotation,
    success,
)
from whisk.store.ports import ActivationRecord, Store
from whisk.store.records import activation_record

SECOND = 1_000
NOW = 1_800_000_000_000
POLICY = PendingPolicy(grace_ms=120 * SECOND, min_timeout_ms=100, max_timeout_ms=300 * SECOND)
PATIENCE_5S = POLICY.patience_ms(5 * SECOND)  # 300 s with the balancer's defaults


def pending(
    n: int, start: int, *, namespace: str = "guest", timeout: int = 5 * SECOND
) -> Activation:
    return Activation.pending(
        namespace=namespace,
        name="hello",
        version="0.0.1",
        subject=namespace,
        activation_id=ActivationId(f"{n:032x}"),
        start=start,
        annotations=[
            annotation("kind", "python:3"),
            annotation("limits", {"timeout": timeout, "memory": 256, "logs": 10}),
        ],
    )


def finished(n: int, start: int) -> Activation:
    return pending(n, start).completed(success({"ok": True}), start + 50)


async def put(store: Store, activation: Activation) -> ActivationRecord:
    record = activation_record(activation, None)
    await store.put_activation(record)
    return record


async def read(store: Store, n: int, namespace: str = "guest") -> Activation:
    stored = await store.get_activation(namespace, f"{n:032x}")
    assert stored is not None
    return Activation.from_stored_doc(stored.doc)


def sweeper(store: Store, now: int = NOW, batch: int = 500) -> PendingSweeper:
    return PendingSweeper(store, POLICY, SweeperConfig(batch=batch), clock_ms=lambda: now)


async def test_pending_sweeper_completes_old_keeps_recent_and_final(store: Store) -> None:
    old = await put(store, pending(1, NOW - PATIENCE_5S))
    await put(store, pending(2, NOW - PATIENCE_5S + 1))  # one ms short of hopeless
    final = await put(store, finished(3, NOW - 10 * PATIENCE_5S))

    assert await sweeper(store).sweep_once() == 1

    forced = await read(store, 1)
    assert forced.status_code == StatusCode.WHISK_ERROR
    assert forced.response is not None and forced.response.result == {"error": SYSTEM_ERROR_FORCED}
    assert (forced.start, forced.end) == (old.start, NOW)
    assert forced.annotation("limits") == {"timeout": 5 * SECOND, "memory": 256, "logs": 10}
    stored = await store.get_activation("guest", old.activation_id)
    assert stored is not None and (stored.end, stored.status_code) == (NOW, 3)
    assert (await read(store, 2)).is_pending
    assert await store.get_activation("guest", final.activation_id) == final


async def test_pending_sweeper_waits_for_each_records_own_timeout(store: Store) -> None:
    long_start = NOW - PATIENCE_5S - 10 * SECOND
    await put(store, pending(1, long_start, timeout=200 * SECOND))

    assert await sweeper(store).sweep_once() == 0
    assert (await read(store, 1)).is_pending

    later = long_start + POLICY.patience_ms(200 * SECOND)
    assert await sweeper(store, now=later).sweep_once() == 1
    assert (await read(store, 1)).status_code == StatusCode.WHISK_ERROR


async def test_pending_sweeper_sweeps_every_namespace_beyond_one_batch(store: Store) -> None:
    for n in range(1, 6):
        await put(store, pending(n, NOW - PATIENCE_5S - n, namespace=f"ns{n % 2}"))

    assert await sweeper(store, batch=2).sweep_once() == 5

    for n in range(1, 6):
        assert (await read(store, n, f"ns{n % 2}")).status_code == StatusCode.WHISK_ERROR
    assert await store.list_stale_pending(NOW, 10) == []


async def test_pending_sweeper_stops_on_a_full_batch_of_hopeful_records(store: Store) -> None:
    # two long ones are older than the short one, fill the batch, and are not past hope
    for n in (1, 2):
        await put(store, pending(n, NOW - PATIENCE_5S - 100 + n, timeout=200 * SECOND))
    await put(store, pending(3, NOW - PATIENCE_5S))

    assert await sweeper(store, batch=2).sweep_once() == 0  # returns, and writes nothing
    assert all([(await read(store, n)).is_pending for n in (1, 2, 3)])


async def test_pending_sweeper_second_sweep_writes_nothing(store: Store) -> None:
    await put(store, pending(1, NOW - PATIENCE_5S))
    assert await sweeper(store).sweep_once() == 1
    first = await store.get_activation("guest", f"{1:032x}")

    assert await sweeper(store, now=NOW + 60 * SECOND).sweep_once() == 0
    assert await store.get_activation("guest", f"{1:032x}") == first


# -- record_forced: the balancer's forced completion -------------------------------------------


class InvokerLandsDuringRead:
    """A real store where the invoker's final record lands just after the controller read the
    pending one (the race between get and put that record_forced must survive)."""

    def __init__(self, store: Store, final: ActivationRecord) -> None:
        self._store = store
        self._final = final

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def get_activation(self, namespace: str, activation_id: str) -> ActivationRecord | None:
        seen = await self._store.get_activation(namespace, activation_id)
        await self._store.put_activation(self._final)
        return seen


def invocations(store: object) -> InvocationService:
    return InvocationService(
        store=store,  # type: ignore[arg-type]
        scheduler=None,  # type: ignore[arg-type]  # record_forced publishes nothing
        throttles=MemoryThrottleCounter(),
        config=InvocationConfig(),
        clock_ms=lambda: NOW,
    )


async def test_record_forced_completes_a_pending_record(store: Store) -> None:
    await put(store, pending(1, NOW - 1_000))

    await invocations(store).record_forced("guest", f"{1:032x}")

    forced = await read(store, 1)
    assert forced.status_code == StatusCode.WHISK_ERROR and forced.end == NOW


async def test_record_forced_never_overwrites_a_result_that_lands_meanwhile(store: Store) -> None:
    await put(store, pending(1, NOW - 1_000))
    final = activation_record(finished(1, NOW - 1_000), None)

    await invocations(InvokerLandsDuringRead(store, final)).record_forced("guest", f"{1:032x}")

    assert await store.get_activation("guest", final.activation_id) == final


async def test_record_forced_leaves_a_missing_record_missing(store: Store) -> None:
    await invocations(store).record_forced("guest", f"{1:032x}")
    assert await store.get_activation("guest", f"{1:032x}") is None
