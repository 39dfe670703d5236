"""Action limits and the ranges that make them legal.

``LimitRanges`` is the system's (or a namespace's) allowed range for each limit; an
``ActionLimits`` can only be built inside a range, and its error messages are OpenWhisk's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from whisk.entities import messages as ow
from whisk.errors import InvalidArgument

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Range:
    min: int
    max: int
    default: int

    def __post_init__(self) -> None:
        if not self.min <= self.default <= self.max:
            raise ValueError(f"default {self.default} outside {self.min}..{self.max}")


@dataclass(frozen=True, slots=True)
class LimitRanges:
    timeout_ms: Range = field(default_factory=lambda: Range(100, 300_000, 60_000))
    memory_mb: Range = field(default_factory=lambda: Range(128, 512, 256))
    logs_mb: Range = field(default_factory=lambda: Range(0, 10, 10))
    concurrency: Range = field(default_factory=lambda: Range(1, 1, 1))

    def with_overrides(self, overrides: Mapping[str, Any]) -> LimitRanges:
        """Apply a namespace's overrides (``minActionMemory``, ``maxActionTimeout``, ...)."""

        def pick(rng: Range, name: str) -> Range:
            lo = int(overrides.get(f"minAction{name}", rng.min))
            hi = int(overrides.get(f"maxAction{name}", rng.max))
            return Range(lo, hi, min(max(rng.default, lo), hi))

        return replace(
            self,
            timeout_ms=pick(self.timeout_ms, "Timeout"),
            memory_mb=pick(self.memory_mb, "Memory"),
            logs_mb=pick(self.logs_mb, "Logs"),
            concurrency=pick(self.concurrency, "Concurrency"),
        )


def _integer(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{label} limit must be an integer.")
    return value


def check_memory(value: object, rng: Range) -> int:
    mb = _integer(value, "memory")
    if mb > rng.max:
        raise InvalidArgument(ow.size_exceeds_allowed_threshold("memory", mb, rng.max))
    if mb < rng.min:
        raise InvalidArgument(ow.size_below_allowed_threshold("memory", mb, rng.min))
    return mb


def check_logs(value: object, rng: Range) -> int:
    mb = _integer(value, "logs")
    if mb > rng.max:
        raise InvalidArgument(ow.size_exceeds_allowed_threshold("log", mb, rng.max))
    if mb < rng.min:
        raise InvalidArgument(ow.size_below_allowed_threshold("log", mb, rng.min))
    return mb


def check_timeout(value: object, rng: Range) -> int:
    ms = _integer(value, "timeout")
    if ms > rng.max:
        raise InvalidArgument(ow.duration_exceeds_allowed_threshold("duration", ms, rng.max))
    if ms < rng.min:
        raise InvalidArgument(ow.duration_below_allowed_threshold("duration", ms, rng.min))
    return ms


def check_concurrency(value: object, rng: Range) -> int:
    n = _integer(value, "concurrency")
    if n > rng.max:
        raise InvalidArgument(ow.concurrency_exceeds_allowed_threshold(n, rng.max))
    if n < rng.min:
        raise InvalidArgument(ow.concurrency_below_allowed_threshold(n, rng.min))
    return n


@dataclass(frozen=True, slots=True)
class ActionLimits:
    timeout: int = 60_000  # ms
    memory: int = 256  # MB
    logs: int = 10  # MB
    concurrency: int = 1

    def to_json(self) -> dict[str, int]:
        return {
            "timeout": self.timeout,
            "memory": self.memory,
            "logs": self.logs,
            "concurrency": self.concurrency,
        }

    @classmethod
    def defaults(cls, ranges: LimitRanges) -> ActionLimits:
        return cls(
            ranges.timeout_ms.default,
            ranges.memory_mb.default,
            ranges.logs_mb.default,
            ranges.concurrency.default,
        )

    @classmethod
    def from_json(
        cls, value: object, ranges: LimitRanges, base: ActionLimits | None = None
    ) -> ActionLimits:
        """Check a PUT's ``limits`` object field by field; missing fields keep ``base``'s
        value (or the range default)."""
        base = base or cls.defaults(ranges)
        if value is None:
            return base
        if not isinstance(value, Mapping):
            raise InvalidArgument("The limits must be an object.")
        # OpenWhisk's order of checks: memory, timeout, logs, concurrency
        memory = check_memory(value.get("memory", base.memory), ranges.memory_mb)
        timeout = check_timeout(value.get("timeout", base.timeout), ranges.timeout_ms)
        logs = check_logs(value.get("logs", base.logs), ranges.logs_mb)
        concurrency = check_concurrency(
            value.get("concurrency", base.concurrency), ranges.concurrency
        )
        return cls(timeout=timeout, memory=memory, logs=logs, concurrency=concurrency)

    @classmethod
    def from_stored(cls, value: Mapping[str, Any]) -> ActionLimits:
        """Trusted stored form: no range check (ranges may have narrowed since)."""
        return cls(
            int(value.get("timeout", 60_000)),
            int(value.get("memory", 256)),
            int(value.get("logs", 10)),
            int(value.get("concurrency", 1)),
        )
