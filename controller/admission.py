"""Admission without a database round trip: each controller counts in memory and reconciles
with the shared counts (the database) in the background.

OpenWhisk divides each namespace limit among its controllers (limit / N each), so a namespace
whose traffic lands on one controller gets only 1/N of its limit. Whisk counts the whole
limit across controllers instead: a controller's own admissions are exact and immediate, the
other controllers' are those of the last reconciliation, one ``interval_s`` (50 ms) old at
most. The overshoot is therefore bounded by what the *other* controllers admit within one
interval (plus a database round trip); with one controller there is none.

- ``AdmissionLedger`` (pure): one controller's own counts, the others' as last reconciled, and
  what the next reconciliation must push. No I/O, unit-tested with literal data.
- ``ReconciledThrottleCounter`` (the shell): the ``ThrottleCounter`` the invocation path and
  the trigger firer use; a background task pushes the ledger to ``SharedThrottleCounts``
  (``SqlThrottleCounter.reconcile``: one transaction per interval for all namespaces) and
  applies the totals it reads back. A failed reconciliation is retried; the local counts keep
  working meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from whisk.throttling import (
    MINUTE_MS,
    Admission,
    CountsPush,
    SharedCounts,
    SharedThrottleCounts,
    WindowKey,
    window_of,
)

log = structlog.get_logger(__name__)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class _Flight:
    namespace: str
    expires_ms: int


@dataclass(slots=True)
class AdmissionLedger:
    """One controller's throttle counts (pure)."""

    ours: dict[WindowKey, int] = field(default_factory=dict)  # our hits per window
    unpushed: dict[WindowKey, int] = field(default_factory=dict)  # not yet handed over
    others: dict[WindowKey, int] = field(default_factory=dict)  # the others' hits, last seen
    flights: dict[str, _Flight] = field(default_factory=dict)  # ours, by activation id
    per_namespace: dict[str, set[str]] = field(default_factory=dict)
    to_add: dict[str, _Flight] = field(default_factory=dict)  # ours, not yet handed over
    to_release: set[str] = field(default_factory=set)  # handed over, now released
    in_shared: dict[str, str] = field(default_factory=dict)  # ours handed over: id -> ns
    others_flying: dict[str, int] = field(default_factory=dict)  # per namespace, last seen
    seen_keys: dict[str, int] = field(default_factory=dict)  # window key -> last use (ms)
    seen: dict[str, int] = field(default_factory=dict)  # namespace -> last use (ms)

    # -- counting ------------------------------------------------------------------------

    def hit(self, key: str, window_ms: int) -> int:
        """Count one event; the window's total across controllers, this one included."""
        wk = (key, window_ms)
        self.ours[wk] = self.ours.get(wk, 0) + 1
        self.unpushed[wk] = self.unpushed.get(wk, 0) + 1
        self.seen_keys[key] = window_ms
        return self.ours[wk] + self.others.get(wk, 0)

    def in_flight(self, namespace: str, now_ms: int) -> int:
        self.expire(namespace, now_ms)
        mine = self.per_namespace.get(namespace)
        return (len(mine) if mine else 0) + self.others_flying.get(namespace, 0)

    def acquire(self, namespace: str, activation_id: str, expires_ms: int, now_ms: int) -> int:
        """Record one of ours in flight; how many were in flight before it."""
        before = self.in_flight(namespace, now_ms)
        if activation_id in self.flights:
            before -= 1
        flight = _Flight(namespace, expires_ms)
        self.flights[activation_id] = flight
        self.per_namespace.setdefault(namespace, set()).add(activation_id)
        if activation_id not in self.in_shared:
            self.to_add[activation_id] = flight
        self.seen[namespace] = now_ms
        return before

    def admit(
        self, namespace: str, activation_id: str | None, now_ms: int, expires_ms: int
    ) -> Admission:
        count = self.hit(f"invoke:{namespace}", window_of(now_ms))
        before = self.in_flight(namespace, now_ms)
        if activation_id is not None:
            self.acquire(namespace, activation_id, expires_ms, now_ms)
        self.seen[namespace] = now_ms
        return Admission(count, before)

    def release(self, activation_id: str) -> None:
        flight = self.flights.pop(activation_id, None)
        if flight is None:
            return
        mine = self.per_namespace.get(flight.namespace)
        if mine is not None:
            mine.discard(activation_id)
            if not mine:
                del self.per_namespace[flight.namespace]
        if self.to_add.pop(activation_id, None) is None:
            self.to_release.add(activation_id)  # handed over (or being handed over)

    def expire(self, namespace: str, now_ms: int) -> None:
        mine = self.per_namespace.get(namespace)
        if not mine:
            return
        for activation_id in [a for a in mine if self.flights[a].expires_ms < now_ms]:
            self.release(activation_id)

    # -- reconciling ---------------------------------------------------------------------

    def take_push(self, now_ms: int) -> CountsPush:
        """What to hand over now; the ledger counts it as handed over until ``failed``."""
        current = window_of(now_ms)
        recent = now_ms - MINUTE_MS
        for seen in (self.seen, self.seen_keys):
            for name in [n for n, last in seen.items() if last < recent]:
                del seen[name]
        for wk in [wk for wk in self.ours if wk[1] < current]:
            self.ours.pop(wk, None)
            self.others.pop(wk, None)
        hits, self.unpushed = self.unpushed, {}
        windows = {(key, current) for key in self.seen_keys} | set(hits)
        added = tuple((a, f.namespace, f.expires_ms) for a, f in self.to_add.items())
        for activation_id, flight in self.to_add.items():
            self.in_shared[activation_id] = flight.namespace
        self.to_add = {}
        released = tuple(self.to_release)
        for activation_id in released:
            self.in_shared.pop(activation_id, None)
        self.to_release = set()
        namespaces = tuple(sorted(self.seen))
        return CountsPush(hits, tuple(sorted(windows)), added, released, namespaces, now_ms)

    def applied(self, push: CountsPush, shared: SharedCounts) -> None:
        """The shared totals after ``push``: keep the other controllers' share of them."""
        for wk, total in shared.windows.items():
            ours_handed = self.ours.get(wk, 0) - self.unpushed.get(wk, 0)
            self.others[wk] = max(0, total - ours_handed)
        handed: dict[str, int] = {}
        for activation_id, namespace in self.in_shared.items():
            flight = self.flights.get(activation_id)
            if flight is not None and flight.expires_ms >= push.now_ms:
                handed[namespace] = handed.get(namespace, 0) + 1
        for namespace, total in shared.in_flight.items():
            self.others_flying[namespace] = max(0, total - handed.get(namespace, 0))
        for namespace in [n for n in self.others_flying if n not in self.seen]:
            del self.others_flying[namespace]

    def failed(self, push: CountsPush) -> None:
        """The push did not land: hand it over again next time."""
        for wk, n in push.hits.items():
            if wk in self.ours:  # not of a minute already over
                self.unpushed[wk] = self.unpushed.get(wk, 0) + n
        for activation_id, namespace, expires_ms in push.added:
            self.in_shared.pop(activation_id, None)
            if activation_id in self.to_release:
                self.to_release.discard(activation_id)  # released meanwhile: never there
            elif activation_id in self.flights:
                self.to_add[activation_id] = _Flight(namespace, expires_ms)
        self.to_release.update(push.released)

    def idle(self) -> bool:
        return not (
            self.unpushed or self.to_add or self.to_release or self.seen or self.seen_keys
        )


class ReconciledThrottleCounter:
    """A ``ThrottleCounter`` answering from memory, reconciled with ``shared`` every
    ``interval_s`` in the background (``start`` it; ``close`` pushes what is left)."""

    def __init__(
        self,
        shared: SharedThrottleCounts,
        *,
        interval_s: float = 0.05,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("the reconciliation interval must be > 0")
        self._shared = shared
        self._interval_s = interval_s
        self._clock_ms = clock_ms
        self.ledger = AdmissionLedger()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.reconciliations = 0
        self.failures = 0

    # -- the ThrottleCounter port (no awaits: answered from memory) ----------------------

    async def hit(self, key: str, window_ms: int) -> int:
        return self.ledger.hit(key, window_ms)

    async def admit(
        self, namespace: str, activation_id: str | None, now_ms: int, expires_ms: int
    ) -> Admission:
        return self.ledger.admit(namespace, activation_id, now_ms, expires_ms)

    async def acquire(self, namespace: str, activation_id: str, expires_ms: int) -> int:
        return self.ledger.acquire(namespace, activation_id, expires_ms, self._clock_ms())

    async def release(self, activation_id: str) -> None:
        self.ledger.release(activation_id)

    def release_nowait(self, activation_id: str) -> None:
        self.ledger.release(activation_id)

    async def in_flight(self, namespace: str, now_ms: int) -> int:
        return self.ledger.in_flight(namespace, now_ms)

    # -- reconciling ---------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._forever(), name="admission-reconcile")

    async def reconcile(self) -> None:
        """One round: push what is new, read the totals back."""
        async with self._lock:
            push = self.ledger.take_push(self._clock_ms())
            try:
                shared = await self._shared.reconcile(push)
            except BaseException:
                self.ledger.failed(push)
                raise
            self.ledger.applied(push, shared)
            self.reconciliations += 1

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            if self.ledger.idle():
                continue
            try:
                await self.reconcile()
            except Exception as exc:
                self.failures += 1
                if self.failures % 100 == 1:
                    log.warning("reconciling throttle counts failed", error=repr(exc))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.reconcile()
        except Exception as exc:
            log.warning("the last reconciliation of throttle counts failed", error=repr(exc))
