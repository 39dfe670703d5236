"""Usage rows through the store port, on every implementation (see conftest.store): added in
the transaction of a batch of records, summed per (namespace, action, hour), listed by window."""

from __future__ import annotations

import asyncio

from tests.store.test_activation_store import record
from whisk.store.ports import Store
from whisk.usage import HOUR_MS, UsageDelta

T0 = 1_764_720_000_000  # an hour boundary
NS = "guest"


def delta(billed: int, *, hour: int = T0, action: str = "hello", ns: str = NS) -> UsageDelta:
    return UsageDelta(ns, action, hour, 1, billed, billed * 512, 1, 0)


async def test_usage_store_adds_deltas_to_existing_rows(store: Store) -> None:
    await store.put_activations([record(1)], [delta(5), delta(7, action="p/a")])
    await store.put_activations([record(2)], [delta(3)])
    await store.put_activation(record(3), delta(2, hour=T0 + HOUR_MS))
    assert await store.list_usage(NS) == [
        UsageDelta(NS, "hello", T0, 2, 8, 8 * 512, 2, 0),
        delta(2, hour=T0 + HOUR_MS),
        delta(7, action="p/a"),
    ]
    stored = await store.get_activation(NS, f"{3:032x}")
    assert stored is not None  # the record went with its usage


async def test_usage_store_lists_by_namespace_and_hour_window(store: Store) -> None:
    await store.put_activations(
        [],
        [delta(1), delta(2, hour=T0 + HOUR_MS), delta(3, ns="other"), delta(4, hour=T0 - HOUR_MS)],
    )
    assert [u.billed_ms for u in await store.list_usage(NS, T0, None)] == [1, 2]
    assert [u.billed_ms for u in await store.list_usage(NS, None, T0)] == [4, 1]
    assert [u.billed_ms for u in await store.list_usage(None, T0, T0)] == [1, 3]
    assert len(await store.list_usage()) == 4


async def test_usage_store_concurrent_batches_all_add(store: Store) -> None:
    await asyncio.gather(
        *(store.put_activations([record(n)], [delta(1), delta(1, action="b")]) for n in range(8))
    )
    rows = await store.list_usage(NS)
    assert [(u.action, u.activations, u.billed_ms) for u in rows] == [("b", 8, 8), ("hello", 8, 8)]
