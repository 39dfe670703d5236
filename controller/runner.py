"""``ActionRunner``: the one dispatch every entry uses (the REST invoke, web actions, rule
firings, retries, sequence and conductor steps).

It routes a request by the action's kind: a sequence to the ``SequenceRunner``, a conductor
to the ``ConductorRunner``, anything else to the plain path (``InvocationService``) wrapped
by the ``Redeliverer`` (retry and dead-letter policies). It builds the compositions and the
trigger firer itself, handing them itself as their dispatch, so nothing is wired back in with
setters and no module imports this one but the wiring.
"""

from __future__ import annotations

from controller.conductors import ConductorRunner, is_conductor
from controller.firing import TriggerFirer
from controller.invocation import InvocationService
from controller.redelivery import Redeliverer
from controller.requests import InvocationRequest, InvokeOutcome
from controller.sequences import SequenceRunner
from controller.throttle import ThrottleCounter
from whisk.bus.ports import Bus
from whisk.entities.encryption import ParameterEncryption
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.entities.trigger import Trigger
from whisk.store.ports import Identity, Store


class ActionRunner:
    def __init__(
        self,
        store: Store,
        invocations: InvocationService,
        throttles: ThrottleCounter,
        *,
        bus: Bus | None = None,
        encryption: ParameterEncryption | None = None,
    ) -> None:
        self.invocations = invocations
        self.redeliverer = Redeliverer(
            store, invocations, bus=bus, fire_trigger=self._fire_dead_letter
        )
        self.sequences = SequenceRunner(store, self, encryption=encryption)
        self.conductors = ConductorRunner(store, self, invocations)
        self.firer = TriggerFirer(store, self, throttles)

    @property
    def max_wait_ms(self) -> int:
        return self.invocations.max_wait_ms

    async def admit(self, identity: Identity, limits: NamespaceLimits) -> None:
        await self.invocations.admit(identity, limits)

    async def run(self, request: InvocationRequest) -> InvokeOutcome:
        resolved = request.resolved
        if resolved.action.is_sequence:
            return await self.sequences.run(request)
        if is_conductor(resolved):
            return await self.conductors.run(request)
        return await self.redeliverer.run(request)

    async def _fire_dead_letter(
        self,
        identity: Identity,
        limits: NamespaceLimits,
        trigger: Trigger,
        payload: dict[str, object],
        tid: str,
    ) -> str | None:
        return await self.firer.fire(identity, limits, trigger, payload, tid=tid, api_key=None)

    async def close(self) -> None:
        await self.redeliverer.close()
        await self.firer.close()
        await self.conductors.close()
        await self.sequences.close()
