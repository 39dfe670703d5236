"""Invoking an action: entitlement, throttles, the pending record, scheduling through the load
balancer, and the blocking wait.

The record exists from the moment an activation is accepted (pending, ``end == 0``); the
invoker replaces it with the final one. A blocking caller waits for the load balancer's ack,
at most the lesser of its ``timeout`` and the action's time limit plus a margin (or the
controller's configured maximum); when the wait ends first it gets ``202`` with the id and the
activation still completes and is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from controller.requests import InvocationRequest, InvokeOutcome
from controller.resolve import ResolvedAction
from controller.throttle import ThrottleCounter, concurrency_exceeded, rate_exceeded
from whisk.entities.action import Action
from whisk.entities.activation import Activation, ActivationId, annotation, whisk_error
from whisk.entities.encryption import locked_arguments
from whisk.entities.exec import SequenceExec
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.errors import InvalidArgument, PayloadTooLarge, Throttled, Unavailable, WhiskError
from whisk.messages import (
    ActionRef,
    ActivationMessage,
    ControllerInstanceId,
    TransactionId,
    UserRef,
)
from whisk.store.ports import ActivationRecord, ActivationStore, Identity
from whisk.store.records import activation_record

log = structlog.get_logger(__name__)

SYSTEM_ERROR_FORCED = "The activation did not complete: its invoker stopped answering."


class AckLike(Protocol):
    activation_id: str
    record: dict[str, Any] | None
    is_system_error: bool
    forced: bool


class Scheduler(Protocol):
    """The part of the load balancer the invocation path uses."""

    async def publish(
        self,
        message: ActivationMessage,
        *,
        namespace: str,
        action: str,
        memory_mb: int,
        timeout_ms: int,
    ) -> asyncio.Future[Any]: ...


@dataclass(frozen=True, slots=True)
class InvocationConfig:
    controller_id: str = "0"
    max_blocking_wait_ms: int = 60_000  # OpenWhisk's cap; may be raised for long jobs
    blocking_margin_ms: int = 5_000  # added to the action's time limit for the wait
    # a bus that does not take the message within this: 503. Longer than the Kafka producer's
    # delivery timeout (whisk.bus.kafka), so a message answered 503 is never delivered later.
    publish_timeout_ms: int = 10_000


ACTION_CONCURRENCY_ANNOTATION = "concurrentInvocations"


def action_flight_id(activation_id: str) -> str:
    """The id under which an activation counts toward its action's own concurrency limit."""
    return hashlib.md5(f"action:{activation_id}".encode()).hexdigest()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


record_of = activation_record  # the controller's name for it


def merged_payload(resolved: ResolvedAction, payload: dict[str, Any] | None) -> dict[str, Any]:
    """Package < binding < action parameters < the invocation's payload; ``final`` actions
    refuse payload keys that override defined parameters."""
    params = resolved.parameters
    if payload and resolved.action.annotations.is_truthy("final"):
        defined = {k for k, v in params.as_dict().items() if v is not None}  # OpenWhisk's
        if defined & set(payload):
            raise InvalidArgument(
                "Request defines parameters that are not allowed (e.g., reserved properties)."
            )
    merged = (
        params.without(params.init_keys()).as_dict() if params.init_keys() else params.as_dict()
    )
    merged.update(payload or {})
    return merged


def check_payload(payload: Any, max_bytes: int, size: int) -> dict[str, Any] | None:
    if size > max_bytes:
        raise PayloadTooLarge(f"Request larger than allowed: {size} > {max_bytes} bytes.")
    if payload is None:
        return None
    if not isinstance(payload, dict):
        raise InvalidArgument("The request content was malformed: the payload must be an object.")
    return payload


class InvocationService:
    def __init__(
        self,
        *,
        store: ActivationStore,
        scheduler: Scheduler,
        throttles: ThrottleCounter,
        config: InvocationConfig,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._scheduler = scheduler
        self._throttles = throttles
        self._config = config
        self._clock_ms = clock_ms
        self._controller = ControllerInstanceId(config.controller_id)
        # a write-behind store keeps records completed elsewhere readable until they land
        self._remember: Callable[[ActivationRecord], None] | None = getattr(
            store, "remember", None
        )
        self._action_flights: set[str] = set()  # activations counted against their action
        # counters kept in memory release in place: no task per activation for it
        self._releasing: set[asyncio.Future[None]] = set()
        self._release_nowait: Callable[[str], None] | None = getattr(
            throttles, "release_nowait", None
        )

    async def admit(
        self,
        identity: Identity,
        limits: NamespaceLimits,
        activation_id: str | None = None,
        expires_ms: int = 0,
    ) -> None:
        """Rate first, then concurrency, as OpenWhisk checks them (429 on either). Admitted
        with an ``activation_id``, that activation counts as in flight until released."""
        now = self._clock_ms()
        admission = await self._throttles.admit(identity.namespace, activation_id, now, expires_ms)
        refused = rate_exceeded(admission.rate_count, limits.invocations_per_minute)
        if refused is None:
            refused = concurrency_exceeded(admission.in_flight, limits.concurrent_invocations)
        if refused is not None:
            if activation_id is not None:
                await self._throttles.release(activation_id)
            raise refused

    async def run(self, request: InvocationRequest) -> InvokeOutcome:
        """Run one plain action. A non-blocking outcome carries the completion future."""
        resolved = request.resolved
        identity, limits = request.identity, request.limits
        action = resolved.action
        if isinstance(action.exec, SequenceExec):
            raise InvalidArgument("A sequence is not a primitive action.")
        if limits.allowed_kinds is not None and action.exec.kind not in limits.allowed_kinds:
            raise InvalidArgument(
                f"The kind '{action.exec.kind}' is not allowed in this namespace."
            )
        content = merged_payload(resolved, request.payload)
        accepted = self._clock_ms()
        activation_id = ActivationId.new()
        aid = str(activation_id)
        expires = accepted + 2 * max(action.limits.timeout, 60_000) + 60_000
        if request.internal:
            await self._throttles.acquire(identity.namespace, aid, expires)
        else:
            await self.admit(identity, limits, aid, expires)
        await self._admit_action(action, aid, expires)
        passed = _passed_annotations(resolved, request.annotations)
        notes = [
            annotation("path", f"{action.fqn.path}/{action.fqn.name}"),
            annotation("kind", action.exec.kind),
            annotation("limits", action.limits.to_json()),
            *passed,
        ]
        cause = request.cause
        pending = Activation.pending(
            namespace=identity.namespace,
            name=action.fqn.name,
            version=str(action.version),
            subject=identity.subject,
            activation_id=activation_id,
            start=accepted,
            annotations=notes,
            cause=ActivationId(cause) if cause else None,
        )
        package = resolved.record_package
        try:
            await self._store.put_activation(record_of(pending, package))
        except BaseException:
            await self._release(aid)
            raise
        api_key = request.api_key
        if api_key is not None and not action.annotations.is_truthy("provide-api-key"):
            api_key = None
        blocking, wait_ms = request.blocking, request.wait_ms
        message = ActivationMessage(
            transid=TransactionId(request.tid or uuid.uuid4().hex, accepted),
            action=ActionRef(
                path=action.fqn.path, name=action.fqn.name, version=str(action.version)
            ),
            revision=str(resolved.revision),
            user=UserRef(
                subject=identity.subject, namespace=identity.namespace, uuid=identity.uuid
            ),
            activation_id=aid,
            root_controller_index=self._controller,
            blocking=blocking,
            content=content,
            init_args=tuple(resolved.parameters.init_keys()),
            # encrypted parameters travel as stored; the invoker decrypts these names
            locked_args=locked_arguments(resolved.parameters, request.payload or ()),
            cause=cause,
            deadline_ms=accepted + wait_ms if blocking and wait_ms else None,
            wait_start_ms=accepted,
            annotations=tuple(passed),
            api_key=api_key,
        )
        try:
            ack = await asyncio.wait_for(
                self._scheduler.publish(
                    message,
                    namespace=identity.namespace,
                    action=str(action.fqn),
                    memory_mb=action.limits.memory,
                    timeout_ms=action.limits.timeout,
                ),
                self._config.publish_timeout_ms / 1000,
            )
        except TimeoutError:
            await self._release(aid)
            failed = pending.completed(
                whisk_error("The activation could not be scheduled: the bus did not accept it."),
                self._clock_ms(),
            )
            await self._store.put_activation(record_of(failed, package))
            raise Unavailable() from None
        except WhiskError as exc:
            await self._release(aid)
            failed = pending.completed(
                whisk_error(f"The activation could not be scheduled: {exc.message}"),
                self._clock_ms(),
            )
            await self._store.put_activation(record_of(failed, package))
            raise
        ack.add_done_callback(lambda _: self._release_when_done(aid))
        if not blocking:
            return InvokeOutcome(aid, None, ack)
        internal = request.internal
        wait = wait_ms if internal and wait_ms else self.blocking_wait_ms(action, wait_ms)
        try:
            result = await asyncio.wait_for(asyncio.shield(ack), wait / 1000)
        except TimeoutError:
            return InvokeOutcome(aid, None)
        except Unavailable:
            if internal:
                raise
            # This controller is stopping (its balancer closed): the activation is published
            # and its invoker completes and records it. The caller gets its id (202), as when
            # the wait ends, rather than a 503 that invites a retry, i.e. a second run (found
            # by the fault suite's controller restart).
            log.info("controller stopping: the caller gets the activation id", activation_id=aid)
            return InvokeOutcome(aid, None)
        return InvokeOutcome(
            aid, await self._finished(result, aid, identity.namespace, resolved.record_package)
        )

    async def _admit_action(self, action: Action, aid: str, expires_ms: int) -> None:
        """Beyond OpenWhisk: an action annotated ``concurrentInvocations: N`` never has more
        than N activations in flight, counted across all controllers (429 beyond)."""
        allowed = action.annotations.get(ACTION_CONCURRENCY_ANNOTATION)
        if not isinstance(allowed, int) or isinstance(allowed, bool) or allowed < 1:
            return
        key = f"action:{action.fqn.path}/{action.fqn.name}"
        before = await self._throttles.acquire(key, action_flight_id(aid), expires_ms)
        self._action_flights.add(aid)
        if before >= allowed:
            await self._release(aid)
            raise Throttled(
                "Too many concurrent requests in flight for this action "
                f"(count: {before}, allowed: {allowed})."
            )

    def _release_when_done(self, aid: str) -> None:
        nowait = self._release_nowait
        if nowait is None:
            task = asyncio.ensure_future(self._release(aid))
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)
            return
        nowait(aid)
        if aid in self._action_flights:
            self._action_flights.discard(aid)
            nowait(action_flight_id(aid))

    async def _release(self, aid: str) -> None:
        await self._throttles.release(aid)
        if aid in self._action_flights:
            self._action_flights.discard(aid)
            await self._throttles.release(action_flight_id(aid))

    @property
    def max_wait_ms(self) -> int:
        return self._config.max_blocking_wait_ms

    def blocking_wait_ms(self, action: Action, requested_ms: int | None) -> int:
        cap = self._config.max_blocking_wait_ms
        wait = min(requested_ms or cap, cap)
        return min(wait, action.limits.timeout + self._config.blocking_margin_ms)

    async def _finished(
        self, ack: AckLike, aid: str, namespace: str, package: str | None = None
    ) -> Activation | None:
        if ack.record is not None and isinstance(ack.record, dict):
            activation = Activation.from_stored_doc(ack.record)
            if self._remember is not None:
                self._remember(record_of(activation, package))
            return activation
        if ack.forced:
            await self.record_forced(namespace, aid)
        stored = await self._store.get_activation(namespace, aid)
        if stored is None:
            return None
        activation = Activation.from_stored_doc(stored.doc)
        return None if activation.is_pending else activation

    async def record_forced(self, namespace: str, activation_id: str) -> None:
        """The load balancer gave up on an activation: if its record is still pending, it
        becomes a whisk internal error (nothing stays half-written). The write is conditional:
        a final record that lands after the read is never overwritten."""
        await self._release(activation_id)
        stored = await self._store.get_activation(namespace, activation_id)
        if stored is None:
            return
        activation = Activation.from_stored_doc(stored.doc)
        if not activation.is_pending:
            return
        failed = activation.completed(whisk_error(SYSTEM_ERROR_FORCED), self._clock_ms())
        if await self._store.complete_pending_activation(record_of(failed, stored.package)):
            log.warning("activation forced to complete", activation_id=activation_id)


def _passed_annotations(
    resolved: ResolvedAction, extra: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Record annotations the invoker cannot know: ``binding``, ``causedBy`` and the like."""
    notes: list[dict[str, Any]] = []
    if resolved.package is not None and resolved.package.binding is not None:
        b = resolved.package.binding.fqn
        notes.append(annotation("binding", f"{b.namespace}/{b.name}"))
    notes.extend(extra)
    return notes


Forced = Callable[[str, str], Awaitable[None]]

__all__ = ["InvocationConfig", "InvocationService", "InvokeOutcome", "record_of"]
