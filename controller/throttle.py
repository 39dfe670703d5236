"""Per-namespace throttles (pure): invocations per minute, trigger fires per minute and
concurrent invocations, with OpenWhisk's 429 messages.

The windows are OpenWhisk's fixed calendar minutes. The counts come from a ``ThrottleCounter``
(memory in standalone, the database when several controllers share the load), so the limits
hold across all controllers rather than per controller as in OpenWhisk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from whisk.errors import Throttled

MINUTE_MS = 60_000


def window_of(now_ms: int) -> int:
    """The start (epoch ms) of the calendar minute holding ``now_ms``."""
    return now_ms - now_ms % MINUTE_MS


def rate_exceeded(count: int, allowed: int) -> Throttled | None:
    """``count`` includes the request being checked."""
    if count > allowed:
        return Throttled(
            f"Too many requests in the last minute (count: {count}, allowed: {allowed})."
        )
    return None


def concurrency_exceeded(in_flight: int, allowed: int) -> Throttled | None:
    """``in_flight`` counts the activations already running, not the new one."""
    if in_flight >= allowed:
        return Throttled(
            f"Too many concurrent requests in flight (count: {in_flight}, allowed: {allowed})."
        )
    return None


@dataclass(frozen=True, slots=True)
class Admission:
    rate_count: int
    in_flight: int


class ThrottleCounter(Protocol):
    async def hit(self, key: str, window_ms: int) -> int:
        """Count one event for ``key`` in the minute starting at ``window_ms``; returns the
        window's total including this one."""
        ...

    async def acquire(self, namespace: str, activation_id: str, expires_ms: int) -> int:
        """Record an activation in flight; returns how many were in flight before it."""
        ...

    async def release(self, activation_id: str) -> None: ...

    async def in_flight(self, namespace: str, now_ms: int) -> int: ...


class MemoryThrottleCounter:
    """The in-process counter for a single controller (standalone)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}
        self._flights: dict[str, tuple[str, int]] = {}
        self._per_ns: dict[str, int] = {}

    async def hit(self, key: str, window_ms: int) -> int:
        start, count = self._windows.get(key, (window_ms, 0))
        count = count + 1 if start == window_ms else 1
        self._windows[key] = (window_ms, count)
        return count

    async def acquire(self, namespace: str, activation_id: str, expires_ms: int) -> int:
        before = self._per_ns.get(namespace, 0)
        if activation_id not in self._flights:
            self._flights[activation_id] = (namespace, expires_ms)
            self._per_ns[namespace] = before + 1
        return before

    async def release(self, activation_id: str) -> None:
        entry = self._flights.pop(activation_id, None)
        if entry is not None:
            self._per_ns[entry[0]] -= 1

    async def in_flight(self, namespace: str, now_ms: int) -> int:
        expired = [a for a, (ns, exp) in self._flights.items() if ns == namespace and exp < now_ms]
        for activation_id in expired:
            await self.release(activation_id)
        return self._per_ns.get(namespace, 0)
