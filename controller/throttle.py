"""Per-namespace throttles (pure): invocations per minute, trigger fires per minute and
concurrent invocations, with OpenWhisk's 429 messages.

The windows are OpenWhisk's fixed calendar minutes. The counts come from a ``ThrottleCounter``
(memory in standalone, the database when several controllers share the load), so the limits
hold across all controllers rather than per controller as in OpenWhisk.
"""

from __future__ import annotations

from whisk.errors import Throttled
from whisk.store.memory.throttle import MemoryThrottleCounter
from whisk.throttling import MINUTE_MS, Admission, ThrottleCounter, window_of

__all__ = [
    "MINUTE_MS",
    "Admission",
    "MemoryThrottleCounter",
    "ThrottleCounter",
    "concurrency_exceeded",
    "rate_exceeded",
    "window_of",
]


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
