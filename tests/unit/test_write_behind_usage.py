"""Usage rides with the activation-record write-behind: summed per action and hour in memory,
written in the flush of its records, retried with them, kept across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.unit.test_write_behind import Recording, record
from whisk.store import open_store
from whisk.store.write_behind import WriteBehindStore
from whisk.usage import HOUR_MS, UsageDelta

T0 = 1_764_720_000_000  # an hour boundary


def delta(billed: int, *, cold: int = 0, errors: int = 0, hour: int = T0, action: str = "hello",
          namespace: str = "ns") -> UsageDelta:  # fmt: skip
    return UsageDelta(namespace, action, hour, 1, billed, billed * 256, cold, errors)


async def test_usage_is_summed_per_action_and_hour_and_written_with_its_records() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60)
    await store.put_activation(record("a1", end=5), delta(5, cold=1))
    await store.put_activation(record("a2", end=3), delta(3, errors=1))
    await store.put_activation(record("a3", end=9), delta(9, hour=T0 + HOUR_MS))
    assert inner.usage_batches == []  # behind, like the records
    await store.flush()
    assert inner.batches == [["a1", "a2", "a3"]]  # one flush: records and usage together
    assert inner.usage_batches == [
        [UsageDelta("ns", "hello", T0, 2, 8, 8 * 256, 1, 1), delta(9, hour=T0 + HOUR_MS)]
    ]
    await store.close()


async def test_usage_reads_see_what_is_still_queued() -> None:
    store = WriteBehindStore(Recording(), max_delay_s=60)
    await store.put_activation(record("a1", end=5), delta(5))
    assert await store.list_usage("ns") == [delta(5)]
    assert await store.list_usage("other") == []
    await store.close()


async def test_a_failed_flush_keeps_its_usage_and_writes_it_once() -> None:
    inner = Recording()
    inner.fail = 2
    store = WriteBehindStore(inner, max_delay_s=0.001, retry_s=0.01)
    await store.put_activation(record("a1", end=5), delta(5))
    await asyncio.sleep(0.005)
    assert store.failed_flushes >= 1
    await store.put_activation(record("a2", end=4), delta(4))  # summed meanwhile
    await asyncio.wait_for(store.flush(), 5)
    assert store.failed_flushes == 2
    assert await inner.list_usage("ns") == [UsageDelta("ns", "hello", T0, 2, 9, 9 * 256, 0, 0)]
    await store.close()


async def test_usage_after_a_full_batch_goes_with_the_next_flush() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60, max_batch=2, max_queued=4)
    for i in range(3):
        await store.put_activation(record(f"a{i}", end=5), delta(1))
    await store.flush()
    assert sum(u.activations for batch in inner.usage_batches for u in batch) == 3
    assert await inner.list_usage() == [UsageDelta("ns", "hello", T0, 3, 3, 3 * 256, 0, 0)]
    await store.close()


async def test_usage_survives_a_restart_and_adds_up_in_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/u.db"
    first = (await open_store(url)).store
    await first.put_activation(record("a1", end=5), delta(5, cold=1))
    await first.put_activation(record("a2", end=5), delta(7, action="pkg/other"))
    await first.close()  # a graceful stop flushes

    second = (await open_store(url)).store
    await second.put_activation(record("a3", end=5), delta(2, errors=1))
    await second.put_activations([], [delta(1, namespace="zz")])  # usage alone is written too
    assert await second.list_usage("ns") == [
        UsageDelta("ns", "hello", T0, 2, 7, 7 * 256, 1, 1),
        delta(7, action="pkg/other"),
    ]
    assert [u.namespace for u in await second.list_usage()] == ["ns", "ns", "zz"]
    assert await second.list_usage("ns", T0 + HOUR_MS, None) == []
    assert len(await second.list_usage(None, T0, T0)) == 3
    await second.close()
