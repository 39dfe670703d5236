"""The invoker's feed: take activation messages from ``invoker{N}`` only while the pool has room.

Back-pressure (ARCHITECTURE "Back-pressure, not buffers"; OpenWhisk's ``MessageFeed``):

- ``Capacity`` counts, per activation taken from the bus and not yet finished, the memory it
  holds: the smallest action memory while its action is unknown (that is what the feed
  assumed when it asked for it), then ``ceil(memory / concurrency)`` of its action. The pool's
  raw ``free_mb`` is not used: idle warm containers and stem cells hold memory the pool gives
  up on demand (eviction), so free memory would read 0 after the first few runs.
- ``records_to_take`` (pure) is ``(capacity - held) // smallest action memory``, at least 0,
  and 0 while more completions than that wait for their store write and ack (so a slow store
  also holds the feed back). The feed polls at most that many records and, at 0, does not poll
  at all: it sleeps until ``Capacity`` changes (a run ended).
- Taken records are therefore bounded by ``capacity // smallest memory``: nothing buffers
  without bound. Runs the pool cannot place at once wait in its queue, in order.

Hand-off and commit: the feed gives each record of a batch, in order, to the handler, which
returns once the activation is *accepted* (see ``invoker.service``), then commits the batch.
Stopping cancels only a poll in progress (records it had fetched are not committed and go to
the next member of the group); a batch being handed off is finished and committed first.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable

import structlog

from whisk.bus import Consumer, Record
from whisk.errors import WhiskError

log = structlog.get_logger(__name__)

RETRY_AFTER_S = 1.0  # after the bus failed to poll or commit


def records_to_take(capacity_mb: int, held_mb: int, min_memory_mb: int, finishing: int = 0) -> int:
    """How many records the feed may ask for now (pure)."""
    if min_memory_mb <= 0:
        raise ValueError("the smallest action memory must be positive")
    slots = capacity_mb // min_memory_mb
    if finishing >= max(1, slots):
        return 0
    return max(0, (capacity_mb - held_mb) // min_memory_mb)


def memory_share_mb(memory_mb: int, concurrency: int) -> int:
    """What one run of an action holds: its container's memory over the runs it takes at once."""
    return math.ceil(memory_mb / max(1, concurrency))


class Capacity:
    """Memory held by activations taken from the bus, and completions still being written."""

    def __init__(self, capacity_mb: int, min_memory_mb: int) -> None:
        self.capacity_mb = capacity_mb
        self.min_memory_mb = min_memory_mb
        self._held: dict[str, int] = {}
        self._finishing: set[str] = set()
        self._changed = asyncio.Event()
        self.max_taken = 0  # most activations held at once (diagnostics, tests)

    @property
    def held_mb(self) -> int:
        return sum(self._held.values())

    @property
    def taken(self) -> frozenset[str]:
        """Activation ids taken from the bus and not yet completed (run, stored, acked)."""
        return frozenset(self._held) | frozenset(self._finishing)

    def records_to_take(self) -> int:
        return records_to_take(
            self.capacity_mb, self.held_mb, self.min_memory_mb, len(self._finishing)
        )

    def take(self, activation_id: str) -> None:
        """A record was taken before its action is known: hold the smallest memory."""
        self._held[activation_id] = self.min_memory_mb
        self.max_taken = max(self.max_taken, len(self._held))

    def resize(self, activation_id: str, memory_mb: int) -> None:
        if activation_id in self._held:
            self._held[activation_id] = memory_mb
            self._signal()

    def run_ended(self, activation_id: str) -> None:
        """The pool gave the memory back; the record write and the ack are still to come."""
        if self._held.pop(activation_id, None) is not None:
            self._finishing.add(activation_id)
        self._signal()

    def completed(self, activation_id: str) -> None:
        self._held.pop(activation_id, None)
        self._finishing.discard(activation_id)
        self._signal()

    async def changed(self) -> None:
        """Return at the next change (or at once if one happened since the last wait)."""
        await self._changed.wait()
        self._changed.clear()

    def _signal(self) -> None:
        self._changed.set()


Handler = Callable[[Record], Awaitable[None]]


class MessageFeed:
    """Polls ``consumer`` within ``capacity`` and commits after ``handler`` accepted a batch."""

    def __init__(
        self,
        consumer: Consumer,
        capacity: Capacity,
        handler: Handler,
        *,
        poll_timeout_s: float = 0.5,
    ) -> None:
        self._consumer = consumer
        self._capacity = capacity
        self._handler = handler
        self._poll_timeout_s = poll_timeout_s
        self._stop = asyncio.Event()
        self._idle = False  # True only while polling or waiting for room (safe to cancel)
        self._task: asyncio.Task[None] | None = None
        self.polled = 0  # records taken from the bus so far
        self.committed_batches = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"feed-{self._consumer.topic}")

    async def stop(self) -> None:
        """Stop taking; returns once the batch in hand (if any) is handed off and committed."""
        self._stop.set()
        if self._task is not None:
            if self._idle:  # polling or waiting for room: nothing in hand
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def kill(self) -> None:
        """Stop at once, wherever the feed is: what was not committed will be redelivered."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while not self._stop.is_set():
            self._idle = True
            try:
                wanted = self._capacity.records_to_take()
                if wanted == 0:
                    await self._capacity.changed()
                    continue
                batch = await self._consumer.poll(wanted, self._poll_timeout_s)
            except WhiskError as exc:
                log.error("polling the bus failed", topic=self._consumer.topic, error=exc.message)
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            finally:
                self._idle = False
            if not batch:
                continue
            self.polled += len(batch)
            for record in batch:
                try:
                    await self._handler(record)
                except Exception:  # the handler never raises; a bug must not stop the feed
                    log.exception("handing off a record failed", offset=record.offset)
            await self._commit()

    async def _commit(self) -> None:
        try:
            await self._consumer.commit()
            self.committed_batches += 1
        except WhiskError as exc:
            # The activations are accepted and will complete; only a crash before the next
            # successful commit would see them redelivered (and run again after a restart).
            log.error("committing the bus offset failed", error=exc.message)
