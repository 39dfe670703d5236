"""The shell of reliable async work (see ``retries.py`` for the policy): watches non-blocking
activations whose action has a policy, retries failures with backoff, and hands the last
failure to its dead-letter destination."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

import structlog

from controller.requests import InvocationRequest, InvokeOutcome
from controller.retries import RetryPolicy, failure_payload, policy_from_annotations
from whisk.bus.ports import Bus, Producer
from whisk.entities.activation import Activation, annotation
from whisk.entities.names import FullyQualifiedName
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.entities.trigger import Trigger
from whisk.errors import WhiskError
from whisk.store.ports import Collection, EntityKey, Identity, Store
from whisk.store.records import activation_record

log = structlog.get_logger(__name__)

RECORD_WAIT_S = 10.0  # how long to wait for the invoker's final record after the ack


class PlainRunner(Protocol):
    """What the redeliverer wraps: the plain path (``InvocationService.run``)."""

    async def run(self, request: InvocationRequest) -> InvokeOutcome: ...


FireTrigger = Callable[
    [Identity, NamespaceLimits, Trigger, dict[str, Any], str], Awaitable[str | None]
]


class Redeliverer:
    """Wraps the plain path: a non-blocking run whose action has a retry or dead-letter policy
    is watched until it completes; a failure runs again (``attempt`` + 1) after the backoff,
    and the last failure goes to the dead-letter trigger (``fire_trigger``) or topic."""

    def __init__(
        self,
        store: Store,
        plain: PlainRunner,
        *,
        bus: Bus | None = None,
        fire_trigger: FireTrigger | None = None,
    ) -> None:
        self._store = store
        self._plain = plain
        self._bus = bus
        self._fire_trigger = fire_trigger
        self._producer: Producer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self, request: InvocationRequest) -> InvokeOutcome:
        outcome = await self._plain.run(request)
        if outcome.completion is not None and not request.blocking:
            policy = policy_from_annotations(request.resolved.action.annotations.as_dict())
            if policy.active:
                first = request.first_id or outcome.activation_id
                self._watch(outcome.completion, policy, request, outcome.activation_id, first)
        return outcome

    def _watch(
        self,
        ack: asyncio.Future[Any],
        policy: RetryPolicy,
        request: InvocationRequest,
        activation_id: str,
        first_id: str,
    ) -> None:
        def done(_: asyncio.Future[Any]) -> None:
            task = asyncio.ensure_future(self._after(policy, request, activation_id, first_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        ack.add_done_callback(done)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._producer is not None:
            await self._producer.close()

    async def _final_record(self, namespace: str, activation_id: str) -> Activation | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECORD_WAIT_S
        while True:
            stored = await self._store.get_activation(namespace, activation_id)
            if stored is not None:
                record = Activation.from_stored_doc(stored.doc)
                if not record.is_pending:
                    return record
            if loop.time() > deadline:
                return None
            await asyncio.sleep(0.1)

    async def _after(
        self, policy: RetryPolicy, request: InvocationRequest, activation_id: str, first_id: str
    ) -> None:
        identity = request.identity
        record = await self._final_record(identity.namespace, activation_id)
        if record is None or record.response is None or record.response.success:
            return
        attempt = request.attempt
        if policy.should_retry(attempt):
            await asyncio.sleep(policy.delay_ms(attempt + 1) / 1000)
            retry = replace(
                request,
                attempt=attempt + 1,
                first_id=first_id,
                annotations=(
                    *(a for a in request.annotations if a["key"] not in RETRY_KEYS),
                    *retry_annotations(attempt + 1, first_id),
                ),
            )
            try:
                await self.run(retry)
                return
            except WhiskError as exc:
                log.warning("retry refused", activation_id=activation_id, error=exc.message)
        await self._dead_letter(policy, request, record)

    async def _dead_letter(
        self, policy: RetryPolicy, request: InvocationRequest, record: Activation
    ) -> None:
        identity, resolved = request.identity, request.resolved
        action = f"{resolved.action.fqn.path}/{resolved.action.fqn.name}"
        body = failure_payload(record.to_stored_doc(), action, request.attempt + 1)
        where: str | None = None
        try:
            if policy.dead_letter_trigger and self._fire_trigger is not None:
                fqn = FullyQualifiedName.parse(policy.dead_letter_trigger).resolve(
                    identity.namespace
                )
                stored = await self._store.get(EntityKey(fqn.namespace, fqn.name))
                if stored is None or stored.collection is not Collection.TRIGGERS:
                    raise WhiskError(f"dead-letter trigger {fqn} does not exist")
                trigger = Trigger.from_stored(stored.doc, stored.updated)
                await self._fire_trigger(identity, request.limits, trigger, body, request.tid)
                where = f"trigger:{fqn}"
            elif policy.dead_letter_topic and self._bus is not None:
                if self._producer is None:
                    self._producer = await self._bus.producer()
                await self._producer.send(policy.dead_letter_topic, json.dumps(body).encode())
                where = f"topic:{policy.dead_letter_topic}"
        except WhiskError as exc:
            log.warning("dead-lettering failed", error=exc.message)
            where = f"failed: {exc.message}"
        if where is None:
            return
        marked = record.with_annotation("deadLetter", where)
        previous = await self._store.get_activation(identity.namespace, str(record.activation_id))
        await self._store.put_activation(
            activation_record(marked, previous.package if previous else None)
        )


RETRY_KEYS = ("retryOf", "attempt")


def retry_annotations(attempt: int, first_id: str) -> list[dict[str, Any]]:
    return [annotation("retryOf", first_id), annotation("attempt", attempt)] if attempt else []


