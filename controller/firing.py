"""Firing a trigger: one trigger activation, then one action activation per active rule, each
caused by the trigger's. The trigger's record lists the rule activations in its logs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import structlog

from controller.invocation import now_ms, record_of
from controller.requests import Dispatch, InvocationRequest
from controller.resolve import resolve_action
from controller.rules import RuleFiring, fire_arguments, rule_log_line, rules_to_fire
from controller.throttle import ThrottleCounter, rate_exceeded, window_of
from whisk.entities.activation import Activation, ActivationId, annotation, success
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.entities.trigger import Trigger
from whisk.errors import WhiskError
from whisk.store.ports import Identity, Store

log = structlog.get_logger(__name__)


class TriggerFirer:
    def __init__(
        self,
        store: Store,
        dispatch: Dispatch,
        throttles: ThrottleCounter,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._dispatch = dispatch
        self._throttles = throttles
        self._clock_ms = clock_ms
        self._background: set[asyncio.Task[Any]] = set()

    async def fire(
        self,
        identity: Identity,
        limits: NamespaceLimits,
        trigger: Trigger,
        payload: dict[str, Any] | None,
        *,
        tid: str,
        api_key: str | None,
    ) -> str | None:
        """The trigger activation's id, or None when no rule is active (nothing recorded)."""
        now = self._clock_ms()
        count = await self._throttles.hit(f"fire:{identity.namespace}", window_of(now))
        refused = rate_exceeded(count, limits.fires_per_minute)
        if refused is not None:
            raise refused
        firings = rules_to_fire(trigger)
        if not firings:
            return None
        args = fire_arguments(trigger, payload)
        record = Activation(
            namespace=identity.namespace,
            name=trigger.fqn.name,
            version=str(trigger.version),
            subject=identity.subject,
            activation_id=ActivationId.new(),
            start=now,
            end=0,  # OpenWhisk leaves end and duration out of trigger records
            response=success(payload or {}),  # the fire's payload, as OpenWhisk records it
            annotations=[annotation("path", f"{trigger.fqn.namespace}/{trigger.fqn.name}")],
        )
        await self._store.put_activation(record_of(record, None))
        task = asyncio.create_task(
            self._run_rules(identity, limits, record, firings, args, tid, api_key)
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return str(record.activation_id)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def _run_rules(
        self,
        identity: Identity,
        limits: NamespaceLimits,
        record: Activation,
        firings: list[RuleFiring],
        args: dict[str, Any],
        tid: str,
        api_key: str | None,
    ) -> None:
        lines = await asyncio.gather(
            *(self._run_rule(identity, limits, record, f, args, tid, api_key) for f in firings)
        )
        done = replace(record, logs=list(lines))
        await self._store.put_activation(record_of(done, None))

    async def _run_rule(
        self,
        identity: Identity,
        limits: NamespaceLimits,
        record: Activation,
        firing: RuleFiring,
        args: dict[str, Any],
        tid: str,
        api_key: str | None,
    ) -> str:
        try:
            resolved = await resolve_action(self._store, identity, firing.action)
            outcome = await self._dispatch.run(
                InvocationRequest(
                    identity=identity,
                    limits=limits,
                    resolved=resolved,
                    payload=args,
                    blocking=False,
                    wait_ms=None,
                    tid=tid,
                    api_key=api_key,
                )  # no cause: OpenWhisk sets it only on composition components
            )
            return rule_log_line(firing, activation_id=outcome.activation_id)
        except WhiskError as exc:
            log.info("rule did not fire", rule=firing.rule, error=exc.message)
            return rule_log_line(firing, status_code=1, error=exc.message)
