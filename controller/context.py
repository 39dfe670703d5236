"""What the controller's handlers need, built once at start-up and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from controller.conductors import ConductorRunner, is_conductor
from controller.firing import TriggerFirer
from controller.invocation import InvocationService
from controller.resolve import ResolvedAction
from controller.sequences import SequenceRunner
from whisk.config import Settings
from whisk.entities.common import EntityRules
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.entities.runtimes import RuntimeManifest
from whisk.store.ports import Identity, Store


@dataclass(slots=True)
class Controller:
    settings: Settings
    store: Store
    manifest: RuntimeManifest
    invocations: InvocationService | None = None  # None: no invocation path (503)
    sequences: SequenceRunner | None = None
    conductors: ConductorRunner | None = None
    firer: TriggerFirer | None = None  # None: no invocation path (503)
    invoker_health: Callable[[], dict[str, str]] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def runner_for(
        self, resolved: ResolvedAction
    ) -> InvocationService | SequenceRunner | ConductorRunner | None:
        """Who runs this action: the sequence runner, the conductor runner, or the plain path."""
        if resolved.action.is_sequence:
            return self.sequences
        if is_conductor(resolved):
            return self.conductors
        return self.invocations

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
