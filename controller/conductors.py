"""Conductor actions (an action annotated ``conductor``): the controller alternates between the
conductor and the components it names, as OpenWhisk's conductors do.

The conductor returns either an error (the run ends with it) or a continuation
``{action?, params?, state?}``. With ``action``, that action runs with ``params``, then the
conductor runs again with the component's result merged with ``state``; without it, the run
ends with ``params``. Non-object ``params``/``state`` are boxed as ``{"value": ...}`` /
``{"state": ...}``. At most ``MAX_SEQUENCE_LENGTH`` components and twice that plus one
conductor runs per invocation. The primary record is a ``sequence`` record with
``conductor: true``, the ids of every derived activation in its logs, and the sum of their
durations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

import structlog

from controller.background import BackgroundRuns
from controller.invocation import now_ms, record_of
from controller.requests import Dispatch, InvocationRequest, InvokeOutcome
from controller.resolve import ResolvedAction, resolve_action
from whisk.entities.activation import (
    Activation,
    ActivationId,
    ActivationResponse,
    annotation,
    success,
    whisk_error,
)
from whisk.entities.exec import MAX_SEQUENCE_LENGTH
from whisk.entities.names import FullyQualifiedName
from whisk.errors import InvalidArgument, WhiskError
from whisk.store.ports import Identity, Store

log = structlog.get_logger(__name__)

MARGIN_MS = 60_000


class PlainRun(Protocol):
    async def run(self, request: InvocationRequest) -> InvokeOutcome: ...


def is_conductor(resolved: ResolvedAction) -> bool:
    return not resolved.action.is_sequence and resolved.action.annotations.is_truthy("conductor")


def boxed(value: Any, key: str) -> dict[str, Any]:
    return value if isinstance(value, dict) else {key: value}


class ConductorRunner:
    """Runs conductor actions: the conductor itself through ``plain`` (it is an ordinary
    action), every component it names through ``dispatch`` (plain, sequence or conductor)."""

    def __init__(
        self,
        store: Store,
        dispatch: Dispatch,
        plain: PlainRun,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._dispatch = dispatch
        self._plain = plain
        self._clock_ms = clock_ms
        self._background = BackgroundRuns()

    async def run(self, request: InvocationRequest) -> InvokeOutcome:
        identity, resolved = request.identity, request.resolved
        if not request.internal:
            await self._dispatch.admit(identity, request.limits)
        action = resolved.action
        pending = Activation.pending(
            namespace=identity.namespace,
            name=action.fqn.name,
            version=str(action.version),
            subject=identity.subject,
            activation_id=ActivationId.new(),
            start=self._clock_ms(),
            annotations=[
                annotation("path", f"{action.fqn.path}/{action.fqn.name}"),
                annotation("kind", "sequence"),
                annotation("conductor", True),
                annotation("topmost", True),
                annotation("limits", action.limits.to_json()),
                *request.annotations,
            ],
            cause=ActivationId(request.cause) if request.cause else None,
        )
        await self._store.put_activation(record_of(pending, resolved.record_package))
        run = self._background.start(self._run(request, pending))
        cap = self._dispatch.max_wait_ms
        return await self._background.outcome(
            str(pending.activation_id),
            run,
            blocking=request.blocking,
            wait_ms=request.wait_ms,
            cap_ms=request.wait_ms if request.internal and request.wait_ms else cap,
        )

    async def close(self) -> None:
        await self._background.close()

    async def _run(self, request: InvocationRequest, pending: Activation) -> Activation:
        conductor = request.resolved
        package = conductor.record_package
        ids: list[str] = []
        duration = 0
        cause = str(pending.activation_id)
        caused_by = (annotation("causedBy", "sequence"),)

        async def step(target: ResolvedAction, args: dict[str, Any]) -> ActivationResponse:
            nonlocal duration
            wait_ms = target.action.limits.timeout + MARGIN_MS
            run = self._plain.run if target is conductor else self._dispatch.run
            outcome = await run(
                request.step(target, args, cause=cause, wait_ms=wait_ms, annotations=caused_by)
            )
            ids.append(outcome.activation_id)
            done = outcome.activation
            if done is None or done.response is None:
                return whisk_error("A component of the composition did not complete in time.")
            duration += done.effective_duration or 0
            return done.response

        try:
            response = await self._conduct(
                conductor, request.payload or {}, step, request.identity
            )
        except asyncio.CancelledError:
            stopped = pending.completed(
                whisk_error("The controller stopped before the composition finished."),
                self._clock_ms(),
                logs=ids,
            )
            await asyncio.shield(self._store.put_activation(record_of(stopped, package)))
            raise
        except WhiskError as exc:
            response = whisk_error(f"Composition failed: {exc.message}")
        except Exception:
            log.exception("composition failed", activation_id=cause)
            response = whisk_error("Composition failed with an internal error.")
        done = replace(pending.completed(response, self._clock_ms(), logs=ids), duration=duration)
        await self._store.put_activation(record_of(done, package))
        return done

    async def _conduct(
        self,
        conductor: ResolvedAction,
        params: dict[str, Any],
        step: Callable[[ResolvedAction, dict[str, Any]], Awaitable[ActivationResponse]],
        identity: Identity,
    ) -> ActivationResponse:
        components = 0
        conductor_runs = 0
        args = params
        while True:
            conductor_runs += 1
            if conductor_runs > 2 * MAX_SEQUENCE_LENGTH + 1:
                return whisk_error("Too many conductor invocations in the composition.")
            response = await step(conductor, args)
            if not response.success:
                return response
            result = response.result if isinstance(response.result, dict) else {}
            state = boxed(result["state"], "state") if "state" in result else {}
            target_name = result.get("action")
            if target_name is None:
                final = (
                    result["params"]
                    if "params" in result
                    else {k: v for k, v in result.items() if k not in ("action", "state")}
                )
                return success(final)
            components += 1
            if components > MAX_SEQUENCE_LENGTH:
                return whisk_error("Too many actions in the composition.")
            if not isinstance(target_name, str):
                raise InvalidArgument("The conductor's 'action' must be an action name.")
            fqn = FullyQualifiedName.parse(target_name).resolve(identity.namespace)
            target = await resolve_action(self._store, identity, fqn)
            component = await step(target, boxed(result.get("params", {}), "value"))
            if not component.success:
                return component
            args = {**boxed(component.result, "value"), **state}
