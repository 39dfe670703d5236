"""Activation records written behind, in batches, as OpenWhisk's activation store batches its
puts into CouchDB.

``WriteBehindStore`` wraps a store. ``put_activation`` queues the record and returns at once;
one flusher per store writes what is queued in one ``put_activations`` call (one transaction,
one statement per kind of row) at most ``max_delay_s`` after the first record of a batch was
queued, or as soon as ``max_batch`` records wait. Until its flush has landed a record is read
from the queue (the read overlay), so ``GET /activations/{id}`` right after a blocking invoke
finds it. A record queued while an older one for the same id still waits replaces it: the
pending record of an activation that completes within the flush window is never written.

- Lists, counts and the sweeper's stale-pending query flush first (none is on the hot path).
- ``complete_pending_activation`` stays conditional: on a queued record it replaces it only
  while it is pending; otherwise it waits for the flush in progress and asks the database.
- A failed flush keeps its records (still readable) and is retried every ``retry_s``; while more
  than ``max_queued`` records wait, ``put_activation`` waits too (back-pressure, not a buffer
  without bound).
- ``close`` flushes everything (for at most ``close_timeout_s``) before closing the store.

What a crash (``kill -9``) can lose: the records queued and not yet flushed, at most the last
``max_delay_s`` of completions (5 ms by default) plus whatever waited through a database
outage. A graceful stop loses nothing.

Usage (metering, ``whisk.usage``) rides with the records: ``put_activation(record, usage)``
adds the delta of a completed activation to an in-memory sum per (namespace, action, hour),
and each flush writes the sums taken with its records in the same transaction (an upsert that
adds). A failed flush gives its sums back to be retried with its records; usage reads flush
first. A crash loses the usage of the records it loses, no more.

Records that other processes completed arrive here in acks; ``remember`` keeps the latest of
them readable for ``recent_s`` so a controller answers reads of them before the invoker's own
flush has landed.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from whisk.store.ports import ActivationQuery, ActivationRecord, Store
from whisk.usage import UsageDelta, UsageKey, aggregate

log = structlog.get_logger(__name__)


class WriteBehindStore:
    def __init__(
        self,
        store: Store,
        *,
        max_delay_s: float = 0.005,
        max_batch: int = 256,
        max_queued: int = 20_000,
        retry_s: float = 0.5,
        close_timeout_s: float = 30.0,
        recent_s: float = 5.0,
        recent_max: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_delay_s < 0 or max_batch < 1 or max_queued < max_batch or retry_s <= 0:
            raise ValueError("write-behind: delay >= 0, batch >= 1, queue >= batch, retry > 0")
        self._store = store
        self._max_delay_s = max_delay_s
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._retry_s = retry_s
        self._close_timeout_s = close_timeout_s
        self._recent_s = recent_s
        self._recent_max = recent_max
        self._clock = clock
        self._queued: dict[str, ActivationRecord] = {}  # waiting for a flush, oldest first
        self._flushing: dict[str, ActivationRecord] = {}  # in the flush being written
        self._usage: dict[UsageKey, UsageDelta] = {}  # summed, for the next flush
        self._usage_flushing: dict[UsageKey, UsageDelta] = {}
        self._recent: OrderedDict[str, tuple[float, ActivationRecord]] = OrderedDict()
        self._go: asyncio.Event | None = None
        self._cycle: asyncio.Future[None] | None = None  # resolves when a flush cycle ends
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        # figures for metrics and tests
        self.flushes = 0
        self.written = 0
        self.coalesced = 0
        self.failed_flushes = 0
        self.last_flush_s = 0.0

    @property
    def inner(self) -> Store:
        return self._store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @property
    def queue_depth(self) -> int:
        return len(self._queued) + len(self._flushing)

    # -- writes ----------------------------------------------------------------------------

    async def put_activation(
        self, record: ActivationRecord, usage: UsageDelta | None = None
    ) -> None:
        if self._closed:
            await self._store.put_activations([record], () if usage is None else [usage])
            return
        if len(self._queued) >= self._max_queued:
            await self._wait_for_room()
        if usage is not None:
            aggregate(self._usage, [usage])
        self._queue(record)

    async def put_activations(
        self, records: Sequence[ActivationRecord], usage: Sequence[UsageDelta] = ()
    ) -> None:
        if usage:
            if self._closed:
                await self._store.put_activations(records, usage)
                return
            aggregate(self._usage, usage)
            if not records:
                self._schedule()
        for record in records:
            await self.put_activation(record)

    def _queue(self, record: ActivationRecord) -> None:
        aid = record.activation_id
        queued = self._queued
        before = queued.pop(aid, None)
        if before is not None:
            self.coalesced += 1
            if record.status_code is None and before.status_code is not None:
                record = before  # a pending record never replaces a final one
        queued[aid] = record
        self._schedule()

    def _schedule(self) -> None:
        if self._task is None:
            self._start()
        if len(self._queued) >= self._max_batch:
            self._kick()
        elif self._timer is None and not self._flushing:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._max_delay_s, self._kick)

    def remember(self, record: ActivationRecord) -> None:
        """Keep a record another process completed (it came in an ack) readable for a while.
        Its pending record, if still queued here, is dropped: the process that completed it
        writes the final one, so the pending one need never be written."""
        queued = self._queued.get(record.activation_id)
        if queued is not None and queued.status_code is None:
            del self._queued[record.activation_id]
            self.coalesced += 1
        recent = self._recent
        now = self._clock()
        recent[record.activation_id] = (now + self._recent_s, record)
        recent.move_to_end(record.activation_id)
        # the oldest go first: past recent_max, and once expired (the load soak saw a
        # controller hold the last 4096 records, ~8 MB, long after they stopped being readable)
        while recent and (
            len(recent) > self._recent_max or next(iter(recent.values()))[0] <= now
        ):
            recent.popitem(last=False)

    async def complete_pending_activation(self, record: ActivationRecord) -> bool:
        aid = record.activation_id
        queued = self._queued.get(aid)
        if queued is not None:
            if queued.status_code is not None:
                return False
            self._queued[aid] = record
            return True
        if aid in self._flushing:
            await self._next_cycle()
        self._recent.pop(aid, None)
        return await self._store.complete_pending_activation(record)

    # -- reads -----------------------------------------------------------------------------

    async def get_activation(self, namespace: str, activation_id: str) -> ActivationRecord | None:
        record = self._queued.get(activation_id) or self._flushing.get(activation_id)
        if record is None or record.status_code is None:  # a final one from an ack wins
            hit = self._recent.get(activation_id)
            if hit is not None and hit[0] > self._clock():
                record = hit[1]
        if record is not None:
            return record if record.namespace == namespace else None
        return await self._store.get_activation(namespace, activation_id)

    async def list_activations(self, query: ActivationQuery) -> list[ActivationRecord]:
        """The database's answer after a flush; the first page also shows the records other
        processes completed that came here in acks and may not have landed yet."""
        await self.flush()
        listed = await self._store.list_activations(query)
        if query.skip or not self._recent:
            return listed
        now = self._clock()
        have = {r.activation_id for r in listed}
        extra = [
            r for until, r in self._recent.values()
            if until > now and r.activation_id not in have and query.matches(r)
        ]  # fmt: skip
        if not extra:
            return listed
        merged = sorted([*listed, *extra], key=lambda r: (r.start, r.activation_id), reverse=True)
        return merged[: query.limit]

    async def count_activations(self, query: ActivationQuery) -> int:
        await self.flush()
        return await self._store.count_activations(query)

    async def list_usage(
        self,
        namespace: str | None = None,
        first_hour_ms: int | None = None,
        last_hour_ms: int | None = None,
    ) -> list[UsageDelta]:
        await self.flush()
        return await self._store.list_usage(namespace, first_hour_ms, last_hour_ms)

    async def list_stale_pending(
        self, started_before_ms: int, limit: int
    ) -> list[ActivationRecord]:
        await self.flush()
        return await self._store.list_stale_pending(started_before_ms, limit)

    # -- flushing --------------------------------------------------------------------------

    async def flush(self) -> None:
        """Return once everything queued before the call has been written (or, if the
        database fails meanwhile, once it is back and the records are written)."""
        while self._queued or self._flushing or self._usage or self._usage_flushing:
            self._kick()
            await self._next_cycle()

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                await asyncio.wait_for(self.flush(), self._close_timeout_s)
            except TimeoutError:
                log.error(
                    "activation records could not be written before the store closed",
                    lost=self.queue_depth,
                )
            if self._task is not None:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
                self._task = None
        await self._store.close()

    def _start(self) -> None:
        self._go = asyncio.Event()
        self._task = asyncio.create_task(self._flush_forever(), name="activation-writer")

    def _kick(self) -> None:
        self._timer = None
        if self._go is not None:
            self._go.set()

    def _next_cycle(self) -> asyncio.Future[None]:
        if self._cycle is None or self._cycle.done():
            self._cycle = asyncio.get_running_loop().create_future()
        return asyncio.shield(self._cycle)

    def _end_cycle(self) -> None:
        cycle, self._cycle = self._cycle, None
        if cycle is not None and not cycle.done():
            cycle.set_result(None)

    async def _wait_for_room(self) -> None:
        while len(self._queued) >= self._max_queued:
            self._kick()
            await self._next_cycle()

    async def _flush_forever(self) -> None:
        assert self._go is not None
        go = self._go
        while True:
            await go.wait()
            go.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._queued and not self._usage:
                self._end_cycle()
                continue
            batch, usage = self._take()
            started = time.perf_counter()
            try:
                await self._store.put_activations(list(batch.values()), list(usage.values()))
            except Exception as exc:
                self.failed_flushes += 1
                log.error(
                    "writing activation records failed; retrying",
                    records=len(batch),
                    error=repr(exc),
                )
                self._give_back(batch, usage)
                self._flushing = {}
                self._usage_flushing = {}
                self._end_cycle()
                await asyncio.sleep(self._retry_s)
                go.set()
                continue
            self.flushes += 1
            self.written += len(batch)
            self.last_flush_s = time.perf_counter() - started
            self._flushing = {}
            self._usage_flushing = {}
            self._end_cycle()
            if len(self._queued) >= self._max_batch:
                go.set()
            elif self._queued or self._usage:
                self._timer = asyncio.get_running_loop().call_later(self._max_delay_s, self._kick)

    def _take(self) -> tuple[dict[str, ActivationRecord], dict[UsageKey, UsageDelta]]:
        """The next batch of records, and all the usage summed so far (it goes with the first
        flush after it was added, whatever the batch's size: it is as durable as its record
        or more)."""
        queued = self._queued
        if len(queued) <= self._max_batch:
            batch, self._queued = queued, {}
        else:
            batch = {}
            for aid in list(queued)[: self._max_batch]:
                batch[aid] = queued.pop(aid)
        self._flushing = batch
        self._usage_flushing, self._usage = self._usage, {}
        return batch, self._usage_flushing

    def _give_back(
        self, batch: dict[str, ActivationRecord], usage: dict[UsageKey, UsageDelta]
    ) -> None:
        """A failed batch goes back before what was queued meanwhile; a newer record for the
        same id (queued during the flush) wins. Its usage is added back to what was summed
        meanwhile."""
        self._usage = aggregate(dict(usage), self._usage.values())
        merged = dict(batch)
        for aid, record in self._queued.items():
            before = merged.pop(aid, None)
            if (
                before is not None
                and record.status_code is None
                and before.status_code is not None
            ):
                record = before
            merged[aid] = record
        self._queued = merged
