"""The activation write-behind: batches on size and time, a read overlay, coalescing, flush on
close, retries on a failing database, back-pressure."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from whisk.store.memory import MemoryStore
from whisk.store.ports import ActivationQuery, ActivationRecord
from whisk.store.sql.store import SqlStore
from whisk.store.write_behind import WriteBehindStore
from whisk.usage import UsageDelta


def record(aid: str, *, end: int = 0, namespace: str = "ns", start: int = 1000) -> ActivationRecord:
    return ActivationRecord(
        activation_id=aid,
        namespace=namespace,
        name="hello",
        package=None,
        start=start,
        end=end,
        status_code=None if end == 0 else 0,
        doc={"activationId": aid, "end": end, "namespace": namespace},
    )


class Recording(MemoryStore):
    """The in-memory store, counting the batches it is handed; can be told to fail."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []
        self.usage_batches: list[list[UsageDelta]] = []
        self.fail = 0

    async def put_activations(
        self, records: Sequence[ActivationRecord], usage: Sequence[UsageDelta] = ()
    ) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("database down")
        self.batches.append([r.activation_id for r in records])
        self.usage_batches.append(list(usage))
        await super().put_activations(records, usage)


async def test_records_queued_within_the_delay_are_written_in_one_batch() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=0.05)
    for i in range(10):
        await store.put_activation(record(f"a{i}", end=5))
    assert inner.batches == []  # nothing written yet: behind
    await asyncio.sleep(0.2)
    assert inner.batches == [[f"a{i}" for i in range(10)]]
    await store.close()


async def test_a_full_batch_is_written_without_waiting_for_the_delay() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60, max_batch=4, max_queued=8)
    for i in range(4):
        await store.put_activation(record(f"a{i}", end=5))
    for _ in range(20):
        await asyncio.sleep(0)
    assert inner.batches == [["a0", "a1", "a2", "a3"]]
    await store.close()


async def test_reads_see_queued_records_and_only_in_their_namespace() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60)
    await store.put_activation(record("a1", end=5))
    got = await store.get_activation("ns", "a1")
    assert got is not None and got.end == 5
    assert await store.get_activation("other", "a1") is None
    assert inner.batches == []
    await store.close()


async def test_a_pending_record_completed_before_its_flush_is_never_written() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=0.05)
    await store.put_activation(record("a1"))
    await store.put_activation(record("a1", end=9))
    await store.flush()
    assert inner.batches == [["a1"]]
    stored = await inner.get_activation("ns", "a1")
    assert stored is not None and stored.end == 9
    assert store.coalesced == 1
    await store.close()


async def test_a_pending_record_never_replaces_a_queued_final_one() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60)
    await store.put_activation(record("a1", end=9))
    await store.put_activation(record("a1"))
    got = await store.get_activation("ns", "a1")
    assert got is not None and got.end == 9
    await store.close()


async def test_close_flushes_everything() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60, max_batch=3, max_queued=3)
    for i in range(7):
        await store.put_activation(record(f"a{i}", end=5))
    await store.close()
    assert sorted(a for batch in inner.batches for a in batch) == [f"a{i}" for i in range(7)]


async def test_lists_and_counts_flush_first() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60)
    await store.put_activation(record("a1", end=5))
    await store.put_activation(record("a2", end=5))
    assert await store.count_activations(ActivationQuery(namespace="ns")) == 2
    listed = await store.list_activations(ActivationQuery(namespace="ns"))
    assert {r.activation_id for r in listed} == {"a1", "a2"}
    await store.close()


async def test_a_failed_flush_keeps_its_records_readable_and_retries() -> None:
    inner = Recording()
    inner.fail = 2
    store = WriteBehindStore(inner, max_delay_s=0.001, retry_s=0.01)
    await store.put_activation(record("a1", end=5))
    await asyncio.sleep(0.005)
    assert store.failed_flushes >= 1
    got = await store.get_activation("ns", "a1")
    assert got is not None and got.end == 5
    await asyncio.wait_for(store.flush(), 5)
    assert inner.batches == [["a1"]]
    assert store.failed_flushes == 2
    await store.close()


async def test_a_newer_record_queued_during_a_failed_flush_wins() -> None:
    inner = Recording()
    inner.fail = 1
    store = WriteBehindStore(inner, max_delay_s=0.001, retry_s=0.05)
    await store.put_activation(record("a1"))
    await asyncio.sleep(0.01)  # the first flush failed; a1 pending is back in the queue
    await store.put_activation(record("a1", end=7))
    await asyncio.wait_for(store.flush(), 5)
    stored = await inner.get_activation("ns", "a1")
    assert stored is not None and stored.end == 7
    await store.close()


async def test_puts_wait_while_the_queue_is_full() -> None:
    inner = Recording()
    inner.fail = 1_000_000
    store = WriteBehindStore(inner, max_delay_s=0.001, max_batch=2, max_queued=2, retry_s=0.01)
    await store.put_activation(record("a1", end=5))
    await store.put_activation(record("a2", end=5))
    third = asyncio.create_task(store.put_activation(record("a3", end=5)))
    await asyncio.sleep(0.05)
    assert not third.done()  # back-pressure: the database is down and the queue is full
    inner.fail = 0
    await asyncio.wait_for(third, 5)
    await store.close()
    written = sorted(a for batch in inner.batches for a in batch)
    assert written == ["a1", "a2", "a3"]


async def test_complete_pending_is_conditional_on_queued_records() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60)
    await store.put_activation(record("a1"))
    assert await store.complete_pending_activation(record("a1", end=3))
    assert not await store.complete_pending_activation(record("a1", end=4))
    got = await store.get_activation("ns", "a1")
    assert got is not None and got.end == 3
    # not queued: the database decides (nothing stored: nothing written)
    assert not await store.complete_pending_activation(record("zz", end=3))
    await store.close()


async def test_remembered_records_are_readable_for_a_while() -> None:
    now = [0.0]
    store = WriteBehindStore(Recording(), recent_s=1.0, clock=lambda: now[0])
    store.remember(record("a1", end=5))
    assert await store.get_activation("ns", "a1") is not None
    now[0] = 2.0
    assert await store.get_activation("ns", "a1") is None
    await store.close()


async def test_remembered_records_are_let_go_once_expired() -> None:
    # memory follows the last recent_s of completions, not the last recent_max records
    now = [0.0]
    store = WriteBehindStore(Recording(), recent_s=1.0, recent_max=100, clock=lambda: now[0])
    for i in range(10):
        store.remember(record(f"a{i}", end=5))
    now[0] = 2.0
    store.remember(record("b", end=5))
    assert list(store._recent) == ["b"]
    await store.close()


async def test_sqlite_batch_keeps_final_rows_over_late_pending_ones(tmp_path: Path) -> None:
    from whisk.store import open_store

    store = (await open_store(f"sqlite+aiosqlite:///{tmp_path}/w.db", write_behind=False)).store
    assert isinstance(store, SqlStore)
    try:
        await store.put_activations([record("a1", end=5), record("a2")])
        await store.put_activations([record("a1"), record("a2", end=6)])
        one = await store.get_activation("ns", "a1")
        two = await store.get_activation("ns", "a2")
        assert one is not None and one.end == 5  # the late pending row did not replace it
        assert two is not None and two.end == 6
    finally:
        await store.close()


@pytest.mark.parametrize("count", [1, 300])
async def test_graceful_close_loses_nothing_on_sqlite(tmp_path: Path, count: int) -> None:
    from whisk.store import open_store

    url = f"sqlite+aiosqlite:///{tmp_path}/w.db"
    store = (await open_store(url)).store
    assert isinstance(store, WriteBehindStore)
    for i in range(count):
        await store.put_activation(record(f"a{i:04d}", end=5, start=1000 + i))
    await store.close()
    reopened = (await open_store(url, write_behind=False)).store
    try:
        assert await reopened.count_activations(ActivationQuery(namespace="ns")) == count
    finally:
        await reopened.close()


async def test_a_completion_from_an_ack_drops_the_queued_pending_record() -> None:
    inner = Recording()
    store = WriteBehindStore(inner, max_delay_s=60)
    await store.put_activation(record("a1"))  # this process's pending record
    store.remember(record("a1", end=9))  # another process completed it (its ack came)
    got = await store.get_activation("ns", "a1")
    assert got is not None and got.end == 9
    await store.flush()
    assert inner.batches == []  # the completing process writes the final record
    await store.close()


async def test_the_first_page_of_a_list_shows_records_from_acks() -> None:
    store = WriteBehindStore(Recording(), max_delay_s=60)
    await store.put_activation(record("a1", end=5, start=1000))
    store.remember(record("a2", end=9, start=2000))  # completed elsewhere, not landed yet
    listed = await store.list_activations(ActivationQuery(namespace="ns"))
    assert [r.activation_id for r in listed] == ["a2", "a1"]
    second_page = await store.list_activations(ActivationQuery(namespace="ns", skip=1))
    assert [r.activation_id for r in second_page] == []  # the database's page only
    other = await store.list_activations(ActivationQuery(namespace="other"))
    assert other == []
    await store.close()


async def test_a_usage_read_waits_for_a_usage_only_flush_in_flight() -> None:
    class Slow(Recording):
        async def put_activations(
            self, records: Sequence[ActivationRecord], usage: Sequence[UsageDelta] = ()
        ) -> None:
            await asyncio.sleep(0.05)  # the flush is on its way when the read comes
            await super().put_activations(records, usage)

    store = WriteBehindStore(Slow(), max_delay_s=0.001)
    await store.put_activations([], [UsageDelta("ns", "a", 0, 2, 2, 2 * 256, 0, 0)])
    await asyncio.sleep(0.01)  # the usage-only flush has started
    listed = await store.list_usage("ns")
    assert [u.activations for u in listed] == [2]
    await store.close()
