"""What the controller's handlers need, built once at start-up and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from controller.firing import TriggerFirer
from controller.requests import Dispatch
from controller.throttle import MemoryThrottleCounter
from controller.traffic import TrafficGate
from whisk.config import Settings
from whisk.entities.common import EntityRules
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.entities.runtimes import RuntimeManifest
from whisk.store.ports import Identity, Persistence, Store


@dataclass(slots=True)
class Controller:
    settings: Settings
    persistence: Persistence  # entities and activations (``store``), feeds, routes, throttles
    manifest: RuntimeManifest
    runner: Dispatch | None = None  # the one dispatch (controller.runner); None: 503
    firer: TriggerFirer | None = None  # None: no invocation path (503)
    invoker_health: Callable[[], dict[str, str]] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # per trigger and web action: rate-limit annotations and traffic counts (controller/traffic)
    traffic: TrafficGate = field(default_factory=lambda: TrafficGate(MemoryThrottleCounter()))

    @property
    def store(self) -> Store:
        return self.persistence.store

    def limits_for(self, identity: Identity) -> NamespaceLimits:
        return self.settings.system_limits.with_overrides(identity.limits)

    def rules_for(self, identity: Identity) -> EntityRules:
        limits = self.limits_for(identity)
        return EntityRules(
            manifest=self.manifest,
            ranges=limits.ranges,
            max_parameter_bytes=limits.max_parameter_bytes,
            max_code_bytes=self.settings.max_code_bytes,
        )
