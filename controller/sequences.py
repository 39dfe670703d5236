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
from controller.invocation import now_ms, record_of
from controller.requests import Dispatch, InvocationRequest, InvokeOutcome
from controller.resolve import ResolvedAction, resolve_action
from whisk.entities.activation import (
    Activation,
    ActivationId,
    ActivationResponse,
    annotation,
    whisk_error,
)
from whisk.entities.encryption import ParameterEncryption
from whisk.entities.exec import MAX_SEQUENCE_LENGTH, SequenceExec
from whisk.errors import WhiskError
from whisk.store.ports import Store

log = structlog.get_logger(__name__)

COMPONENT_MARGIN_MS = 60_000


@dataclass(slots=True)
class _Run:
    """What one sequence invocation shares down its nesting."""

    request: InvocationRequest
    atomic: int = 0


class SequenceRunner:
    """Runs sequences; every component that is not itself a sequence goes through
    ``dispatch`` (plain actions and conductors alike)."""

    def __init__(
        self,
        store: Store,
        dispatch: Dispatch,
        clock_ms: Callable[[], int] = now_ms,
        encryption: ParameterEncryption | None = None,
    ) -> None:
        self._store = store
        self._dispatch = dispatch
        self._clock_ms = clock_ms
        self._encryption = encryption or ParameterEncryption()
        self._background = BackgroundRuns()

    async def run(self, request: InvocationRequest) -> InvokeOutcome:
        if not request.internal:
            await self._dispatch.admit(request.identity, request.limits)
        run = _Run(request)
        cause = ActivationId(request.cause) if request.cause else None
        pending = await self._start(run, request.resolved, cause=cause, topmost=True)
        chain = self._background.start(
            self._finish(run, request.resolved, pending, request.payload)
        )
        cap = self._dispatch.max_wait_ms
        return await self._background.outcome(
            str(pending.activation_id),
            chain,
            blocking=request.blocking,
            wait_ms=request.wait_ms,
            cap_ms=request.wait_ms if request.internal and request.wait_ms else cap,
        )

    async def close(self) -> None:
        await self._background.close()

    async def _start(
        self, run: _Run, resolved: ResolvedAction, cause: ActivationId | None, topmost: bool
    ) -> Activation:
        action = resolved.action
        identity = run.request.identity
        notes = [
            annotation("path", f"{action.fqn.path}/{action.fqn.name}"),
            annotation("kind", "sequence"),
            annotation("limits", action.limits.to_json()),
            annotation("topmost", True) if topmost else annotation("causedBy", "sequence"),
            *(run.request.annotations if topmost else ()),
        ]
        pending = Activation.pending(
            namespace=identity.namespace,
            name=action.fqn.name,
            version=str(action.version),
            subject=identity.subject,
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
        ids: list[str] = []
        totals = {"duration": 0, "memory": 0}
        try:
            # the sequence's own parameters are used here, in the controller: the ones the
            # payload does not override are decrypted here (a wrong key fails the sequence)
            own = resolved.parameters.without(["_actions", *(payload or {})])
            params = self._encryption.unlock(own).as_dict()
            params.update(payload or {})
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
            target = await resolve_action(self._store, run.request.identity, component)
            args = value if isinstance(value, dict) else {"value": value}
            finished: Activation | None
            if isinstance(target.action.exec, SequenceExec):
                nested = await self._start(
                    run, target, cause=pending.activation_id, topmost=False
                )
                finished = await self._finish(run, target, nested, args)
                aid = str(nested.activation_id)
            else:
                run.atomic += 1
                if run.atomic > MAX_SEQUENCE_LENGTH:
                    return whisk_error("Too many actions in the sequence.")
                outcome = await self._dispatch.run(
                    run.request.step(
                        target,
                        args,
                        cause=str(pending.activation_id),
                        wait_ms=target.action.limits.timeout + COMPONENT_MARGIN_MS,
                        annotations=(annotation("causedBy", "sequence"),),
                    )
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
