"""Per-namespace limits: system defaults with a namespace's overrides applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from whisk.entities.limits import MB, LimitRanges
from whisk.errors import InvalidArgument

# The override keys wskadmin's `limits set` accepts, with their types.
OVERRIDE_KEYS: dict[str, type] = {
    "invocationsPerMinute": int,
    "concurrentInvocations": int,
    "firesPerMinute": int,
    "minActionMemory": int,
    "maxActionMemory": int,
    "minActionLogs": int,
    "maxActionLogs": int,
    "minActionTimeout": int,
    "maxActionTimeout": int,
    "minActionConcurrency": int,
    "maxActionConcurrency": int,
    "maxParameterSize": int,
    "maxPayloadSize": int,
    "allowedKinds": list,
    "storeActivations": bool,
}


def check_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        expected = OVERRIDE_KEYS.get(key)
        if expected is None:
            raise InvalidArgument(f"Unknown limit '{key}'.")
        if expected is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InvalidArgument(f"Limit '{key}' must be a non-negative integer.")
        if expected is not int and not isinstance(value, expected):
            raise InvalidArgument(f"Limit '{key}' must be a {expected.__name__}.")
        out[key] = value
    return out


@dataclass(frozen=True, slots=True)
class NamespaceLimits:
    invocations_per_minute: int = 60
    concurrent_invocations: int = 30
    fires_per_minute: int = 60
    ranges: LimitRanges = field(default_factory=LimitRanges)
    max_parameter_bytes: int = 1 * MB
    max_payload_bytes: int = 1 * MB
    allowed_kinds: tuple[str, ...] | None = None
    store_activations: bool = True

    def with_overrides(self, overrides: Mapping[str, Any]) -> NamespaceLimits:
        if not overrides:
            return self
        kinds = overrides.get("allowedKinds")
        return replace(
            self,
            invocations_per_minute=overrides.get(
                "invocationsPerMinute", self.invocations_per_minute
            ),
            concurrent_invocations=overrides.get(
                "concurrentInvocations", self.concurrent_invocations
            ),
            fires_per_minute=overrides.get("firesPerMinute", self.fires_per_minute),
            ranges=self.ranges.with_overrides(overrides),
            max_parameter_bytes=overrides.get("maxParameterSize", self.max_parameter_bytes),
            max_payload_bytes=overrides.get("maxPayloadSize", self.max_payload_bytes),
            allowed_kinds=tuple(kinds) if kinds is not None else self.allowed_kinds,
            store_activations=overrides.get("storeActivations", self.store_activations),
        )

    def to_json(self) -> dict[str, Any]:
        """The body of ``GET /namespaces/{ns}/limits`` (OpenWhisk's UserLimits)."""
        r = self.ranges
        out: dict[str, Any] = {
            "invocationsPerMinute": self.invocations_per_minute,
            "concurrentInvocations": self.concurrent_invocations,
            "firesPerMinute": self.fires_per_minute,
            "minActionMemory": r.memory_mb.min,
            "maxActionMemory": r.memory_mb.max,
            "minActionLogs": r.logs_mb.min,
            "maxActionLogs": r.logs_mb.max,
            "minActionTimeout": r.timeout_ms.min,
            "maxActionTimeout": r.timeout_ms.max,
            "minActionConcurrency": r.concurrency.min,
            "maxActionConcurrency": r.concurrency.max,
            "maxParameterSize": f"{self.max_parameter_bytes // MB} MB",
            "maxPayloadSize": f"{self.max_payload_bytes // MB} MB",
            "storeActivations": self.store_activations,
        }
        if self.allowed_kinds is not None:
            out["allowedKinds"] = list(self.allowed_kinds)
        return out
