"""The shell of reliable async work (see ``retries.py`` for the policy): watches non-blocking
activations whose action has a policy, retries failures with backoff, and hands the last
failure to its dead-letter destination."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog

from controller.resolve import ResolvedAction
from controller.retries import RetryPolicy, failure_payload
from whisk.bus.ports import Bus, Producer
from whisk.entities.activation import Activation, annotation
from whisk.entities.names import FullyQualifiedName
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.entities.trigger import Trigger
from whisk.errors import WhiskError
from whisk.store.ports import Collection, EntityKey, Identity, Store

if TYPE_CHECKING:
    from controller.firing import TriggerFirer
    from controller.invocation import InvocationService

log = structlog.get_logger(__name__)

RECORD_WAIT_S = 10.0  # how long to wait for the invoker's final record after the ack


class Redeliverer:
    def __init__(self, store: Store, bus: Bus | None = None) -> None:
        self._store = store
        self._bus = bus
        self._producer: Producer | None = None
        self.invocations: InvocationService | None = None
        self.firer: TriggerFirer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def watch(
        self,
        ack: asyncio.Future[Any],
        *,
        policy: RetryPolicy,
        identity: Identity,
        limits: NamespaceLimits,
        resolved: ResolvedAction,
        payload: dict[str, Any] | None,
        activation_id: str,
        first_id: str,
        attempt: int,
        tid: str,
        api_key: str | None,
        cause: str | None,
    ) -> None:
        def done(_: asyncio.Future[Any]) -> None:
            task = asyncio.ensure_future(
                self._after(
                    policy,
                    identity,
                    limits,
                    resolved,
                    payload,
                    activation_id,
                    first_id,
                    attempt,
                    tid,
                    api_key,
                    cause,
                )
            )
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
        self,
        policy: RetryPolicy,
        identity: Identity,
        limits: NamespaceLimits,
        resolved: ResolvedAction,
        payload: dict[str, Any] | None,
        activation_id: str,
        first_id: str,
        attempt: int,
        tid: str,
        api_key: str | None,
        cause: str | None,
    ) -> None:
        record = await self._final_record(identity.namespace, activation_id)
        if record is None or record.response is None or record.response.success:
            return
        if policy.should_retry(attempt) and self.invocations is not None:
            await asyncio.sleep(policy.delay_ms(attempt + 1) / 1000)
            try:
                await self.invocations.invoke(
                    identity,
                    limits,
                    resolved,
                    payload,
                    blocking=False,
                    wait_ms=None,
                    tid=tid,
                    api_key=api_key,
                    cause=cause,
                    attempt=attempt + 1,
                    first_id=first_id,
                )
                return
            except WhiskError as exc:
                log.warning("retry refused", activation_id=activation_id, error=exc.message)
        await self._dead_letter(policy, identity, limits, resolved, record, attempt, tid)

    async def _dead_letter(
        self,
        policy: RetryPolicy,
        identity: Identity,
        limits: NamespaceLimits,
        resolved: ResolvedAction,
        record: Activation,
        attempt: int,
        tid: str,
    ) -> None:
        action = f"{resolved.action.fqn.path}/{resolved.action.fqn.name}"
        body = failure_payload(record.to_stored_doc(), action, attempt + 1)
        where: str | None = None
        try:
            if policy.dead_letter_trigger and self.firer is not None:
                fqn = FullyQualifiedName.parse(policy.dead_letter_trigger).resolve(
                    identity.namespace
                )
                stored = await self._store.get(EntityKey(fqn.namespace, fqn.name))
                if stored is None or stored.collection is not Collection.TRIGGERS:
                    raise WhiskError(f"dead-letter trigger {fqn} does not exist")
                trigger = Trigger.from_stored(stored.doc, stored.updated)
                await self.firer.fire(identity, limits, trigger, body, tid=tid, api_key=None)
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
        from controller.invocation import record_of  # the record shape lives there

        stored = await self._store.get_activation(identity.namespace, str(record.activation_id))
        await self._store.put_activation(record_of(marked, stored.package if stored else None))


def retry_annotations(attempt: int, first_id: str) -> list[dict[str, Any]]:
    return [annotation("retryOf", first_id), annotation("attempt", attempt)] if attempt else []


RetryHook = Callable[..., None]
