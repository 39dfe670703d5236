"""Event-gateway traffic: per trigger and per web action, how many requests were accepted,
throttled and failed in the last minute and hour, and an optional rate limit.

An entity annotated ``rate-limit: {"perMinute": N}`` takes at most N requests per calendar
minute (fires of a trigger, calls of a web action), counted across controllers through the
throttle counter; the excess gets 429 in OpenWhisk's error shape. The counts of
``TrafficStats`` are this controller's (each controller serves its share of the traffic), kept
in one-minute buckets for an hour.

``TrafficStats`` and ``rate_limit_of`` are pure; ``TrafficGate`` is the shell the handlers
call.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from whisk.errors import Throttled, WhiskError
from whisk.throttling import MINUTE_MS, ThrottleCounter, window_of

RATE_LIMIT_ANNOTATION = "rate-limit"
HOUR_MINUTES = 60


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    THROTTLED = "throttled"
    FAILED = "failed"


def traffic_key(fqn: Any) -> str:
    """``ns/name`` or ``ns/package/name``: the entity a count belongs to."""
    return f"{fqn.path}/{fqn.name}"


def rate_limit_of(annotations: Any) -> int | None:
    """N from a ``rate-limit`` annotation ``{"perMinute": N}`` (N a positive integer), else
    None (no limit; a malformed annotation is refused when the entity is written)."""
    value = annotations.get(RATE_LIMIT_ANNOTATION) if annotations is not None else None
    if not isinstance(value, dict):
        return None
    per_minute = value.get("perMinute")
    if isinstance(per_minute, bool) or not isinstance(per_minute, int) or per_minute < 1:
        return None
    return per_minute


def check_rate_limit_annotation(annotations: Any) -> str | None:
    """Why a ``rate-limit`` annotation is malformed, or None when it is fine or absent."""
    if annotations is None or annotations.get(RATE_LIMIT_ANNOTATION) is None:
        return None
    if rate_limit_of(annotations) is None:
        return 'The annotation "rate-limit" must be {"perMinute": N} with N a positive integer.'
    return None


def rate_limit_exceeded(kind: str, count: int, allowed: int) -> Throttled | None:
    if count > allowed:
        return Throttled(
            f"Too many requests in the last minute for this {kind} "
            f"(count: {count}, allowed: {allowed})."
        )
    return None


@dataclass(slots=True)
class _Bucket:
    minute_ms: int
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))


@dataclass(slots=True)
class TrafficStats:
    """Counts per entity key in one-minute buckets, the last hour of them (pure)."""

    buckets: dict[str, deque[_Bucket]] = field(default_factory=dict)

    def record(self, key: str, outcome: Outcome, now_ms: int) -> None:
        minute = window_of(now_ms)
        ring = self.buckets.setdefault(key, deque(maxlen=HOUR_MINUTES))
        if not ring or ring[-1].minute_ms != minute:
            ring.append(_Bucket(minute))
        ring[-1].counts[outcome] += 1

    def snapshot(self, key: str, now_ms: int) -> dict[str, dict[str, int]]:
        """``{"lastMinute": {accepted, throttled, failed}, "lastHour": {...}}``: the current
        calendar minute, and the 60 minutes ending with it."""
        minute = window_of(now_ms)
        last_minute = dict.fromkeys((o.value for o in Outcome), 0)
        last_hour = dict.fromkeys((o.value for o in Outcome), 0)
        for bucket in self.buckets.get(key, ()):
            if bucket.minute_ms > minute - HOUR_MINUTES * MINUTE_MS:
                for outcome, n in bucket.counts.items():
                    last_hour[outcome.value] += n
                    if bucket.minute_ms == minute:
                        last_minute[outcome.value] += n
        return {"lastMinute": last_minute, "lastHour": last_hour}


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class Counted:
    failed: bool = False


class TrafficGate:
    """The handlers' side: admit a request to a rate-limited entity, record outcomes."""

    def __init__(
        self, counter: ThrottleCounter, clock_ms: Callable[[], int] = _now_ms
    ) -> None:
        self._counter = counter
        self._clock_ms = clock_ms
        self.stats = TrafficStats()

    async def admit(self, kind: str, key: str, annotations: Any) -> None:
        """Raises ``Throttled`` (and counts it) past the entity's ``rate-limit``."""
        allowed = rate_limit_of(annotations)
        if allowed is None:
            return
        now = self._clock_ms()
        count = await self._counter.hit(f"{kind}-rate:{key}", window_of(now))
        refused = rate_limit_exceeded(kind, count, allowed)
        if refused is not None:
            self.stats.record(key, Outcome.THROTTLED, now)
            raise refused

    @contextlib.contextmanager
    def counting(self, key: str) -> Iterator[Counted]:
        """Count what the block does: throttled when it raises ``Throttled``, failed when it
        raises another ``WhiskError`` or marks ``failed``, else accepted."""
        counted = Counted()
        try:
            yield counted
        except Throttled:
            self.record(key, Outcome.THROTTLED)
            raise
        except WhiskError:
            self.record(key, Outcome.FAILED)
            raise
        self.record(key, Outcome.FAILED if counted.failed else Outcome.ACCEPTED)

    def record(self, key: str, outcome: Outcome) -> None:
        self.stats.record(key, outcome, self._clock_ms())

    def snapshot(self, key: str) -> dict[str, dict[str, int]]:
        return self.stats.snapshot(key, self._clock_ms())
