"""Throttle counting shared by the controller and the store adapters (pure): calendar-minute
windows, what an admission reports, and the counter port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MINUTE_MS = 60_000


def window_of(now_ms: int) -> int:
    """The start (epoch ms) of the calendar minute holding ``now_ms``."""
    return now_ms - now_ms % MINUTE_MS


@dataclass(frozen=True, slots=True)
class Admission:
    rate_count: int
    in_flight: int


class ThrottleCounter(Protocol):
    async def hit(self, key: str, window_ms: int) -> int:
        """Count one event for ``key`` in the minute starting at ``window_ms``; returns the
        window's total including this one."""
        ...

    async def admit(
        self, namespace: str, activation_id: str | None, now_ms: int, expires_ms: int
    ) -> Admission:
        """In one step: count an invocation in the namespace's minute, count what is in flight
        (before this one), and record ``activation_id`` as in flight (when given)."""
        ...

    async def acquire(self, namespace: str, activation_id: str, expires_ms: int) -> int:
        """Record an activation in flight; returns how many were in flight before it."""
        ...

    async def release(self, activation_id: str) -> None: ...

    async def in_flight(self, namespace: str, now_ms: int) -> int: ...


WindowKey = tuple[str, int]  # (counter key, window start ms)


@dataclass(frozen=True, slots=True)
class CountsPush:
    """What one controller hands the shared counts in one reconciliation: the hits it counted
    since the last one, the activations it started and released, and what it wants to read
    back (window totals and in-flight totals of the namespaces it serves)."""

    hits: dict[WindowKey, int]
    windows: tuple[WindowKey, ...]
    added: tuple[tuple[str, str, int], ...]  # (activation id, namespace, expires ms)
    released: tuple[str, ...]
    namespaces: tuple[str, ...]
    now_ms: int


@dataclass(frozen=True, slots=True)
class SharedCounts:
    """Totals across every controller, after the push was applied."""

    windows: dict[WindowKey, int]
    in_flight: dict[str, int]


class SharedThrottleCounts(Protocol):
    """Where controllers reconcile their counts (the database, or memory for one process)."""

    async def reconcile(self, push: CountsPush) -> SharedCounts:
        """Apply ``push`` atomically and return the totals it asks for (expired flights of
        its namespaces purged first)."""
        ...


class SharedThrottleCounter(ThrottleCounter, SharedThrottleCounts, Protocol):
    """A store's throttle counts: counted directly, or reconciled with (the database's, shared
    by every controller on it; or the in-memory twin's, in one process)."""
