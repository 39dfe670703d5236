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
