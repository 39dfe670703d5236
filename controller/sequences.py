"""Sequences: the controller runs the components one after another, each an ordinary
activation caused by the sequence's own, and writes the sequence's record when the chain ends.

As OpenWhisk: the output of component i is the input of i+1 (a non-object result is boxed as
``{"value": ...}``); the chain stops at the first component that does not succeed; the
sequence's record has ``kind: sequence``, ``topmost`` (outermost only) or ``causedBy:
sequence`` (nested), the component ids as its logs, the sum of their durations, and the last
component's response. At most ``MAX_SEQUENCE_LENGTH`` atomic actions run per invocation,
nested sequences included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import structlog

from controller.background import BackgroundRuns
from controller.invocation import InvocationService, InvokeOutcome, now_ms, record_of
from controller.resolve import ResolvedAction, resolve_action
from whisk.entities.activation import (
    Activation,
    ActivationId,
    ActivationResponse,
    annotation,
    whisk_error,
)
from whisk.entities.exec import MAX_SEQUENCE_LENGTH, SequenceExec
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.errors import WhiskError
from whisk.store.ports import Identity, Store

log = structlog.get_logger(__name__)

COMPONENT_MARGIN_MS = 60_000


@dataclass(slots=True)
class _Run:
    """What one sequence invocation shares down its nesting."""

    identity: Identity
    limits: NamespaceLimits
    tid: str
    api_key: str | None
    atomic: int = 0


class SequenceRunner:
    def __init__(
        self,
        store: Store,
        invocations: InvocationService,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._invocations = invocations
        self._clock_ms = clock_ms
        self._background = BackgroundRuns()

    async def invoke(
        self,
        identity: Identity,
        limits: NamespaceLimits,
        resolved: ResolvedAction,
        payload: dict[str, Any] | None,
        *,
        blocking: bool,
        wait_ms: int | None,
        tid: str,
        api_key: str | None,
    ) -> InvokeOutcome:
        await self._invocations.admit(identity, limits)
        run = _Run(identity, limits, tid, api_key)
        pending = await self._start(run, resolved, cause=None)
        chain = self._background.start(self._finish(run, resolved, pending, payload))
        return await self._background.outcome(
            str(pending.activation_id),
            chain,
            blocking=blocking,
            wait_ms=wait_ms,
            cap_ms=self._invocations.max_wait_ms,
        )

    async def close(self) -> None:
        await self._background.close()

    async def _start(
        self, run: _Run, resolved: ResolvedAction, cause: ActivationId | None
    ) -> Activation:
        action = resolved.action
        notes = [
            annotation("path", f"{action.fqn.path}/{action.fqn.name}"),
            annotation("kind", "sequence"),
            annotation("limits", action.limits.to_json()),
            annotation("topmost", True) if cause is None else annotation("causedBy", "sequence"),
        ]
        pending = Activation.pending(
            namespace=run.identity.namespace,
            name=action.fqn.name,
            version=str(action.version),
            subject=run.identity.subject,
            activation_id=ActivationId.new(),
            start=self._clock_ms(),
            annotations=notes,
            cause=cause,
        )
        await self._store.put_activation(record_of(pending, resolved.record_package))
        return pending

    async def _finish(
        self,
        run: _Run,
        resolved: ResolvedAction,
        pending: Activation,
        payload: dict[str, Any] | None,
    ) -> Activation:
        params = resolved.parameters.without(["_actions"]).as_dict()
        params.update(payload or {})
        ids: list[str] = []
        totals = {"duration": 0, "memory": 0}
        try:
            response = await self._chain(run, resolved, pending, params, ids, totals)
        except asyncio.CancelledError:
            # the controller is stopping: the record must not stay pending
            stopped = pending.completed(
                whisk_error("The controller stopped before the sequence finished."),
                self._clock_ms(),
                logs=ids,
            )
            await asyncio.shield(
                self._store.put_activation(record_of(stopped, resolved.record_package))
            )
            raise
        except WhiskError as exc:
            response = whisk_error(f"Sequence failed: {exc.message}")
        except Exception:
            log.exception("sequence failed", activation_id=str(pending.activation_id))
            response = whisk_error("Sequence failed with an internal error.")
        limits = {**resolved.action.limits.to_json(), "memory": totals["memory"] or 0}
        done = pending.with_annotation("limits", limits).completed(
            response, self._clock_ms(), logs=ids
        )
        done = replace(done, duration=totals["duration"])
        await self._store.put_activation(record_of(done, resolved.record_package))
        return done

    async def _chain(
        self,
        run: _Run,
        resolved: ResolvedAction,
        pending: Activation,
        value: Any,
        ids: list[str],
        totals: dict[str, int],
    ) -> ActivationResponse:
        assert isinstance(resolved.action.exec, SequenceExec)
        response = whisk_error("The sequence has no components.")
        for component in resolved.action.exec.components:
            target = await resolve_action(self._store, run.identity, component)
            args = value if isinstance(value, dict) else {"value": value}
            finished: Activation | None
            if isinstance(target.action.exec, SequenceExec):
                nested = await self._start(run, target, cause=pending.activation_id)
                finished = await self._finish(run, target, nested, args)
                aid = str(nested.activation_id)
            else:
                run.atomic += 1
                if run.atomic > MAX_SEQUENCE_LENGTH:
                    return whisk_error("Too many actions in the sequence.")
                outcome = await self._invocations.invoke(
                    run.identity,
                    run.limits,
                    target,
                    args,
                    blocking=True,
                    wait_ms=target.action.limits.timeout + COMPONENT_MARGIN_MS,
                    tid=run.tid,
                    api_key=run.api_key,
                    cause=str(pending.activation_id),
                    extra_annotations=[annotation("causedBy", "sequence")],
                    throttle=False,
                    internal=True,
                )
                finished, aid = outcome.activation, outcome.activation_id
            ids.append(aid)
            if finished is None or finished.response is None:
                return whisk_error("A sequence component did not complete in time.")
            totals["duration"] += finished.effective_duration or 0
            totals["memory"] = max(totals["memory"], target.action.limits.memory)
            response = finished.response
            if not response.success:
                return response
            value = response.result
        return response
