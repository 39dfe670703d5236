"""The invoker's entry point: run one activation in the pool and make its record.

``Invoker.run(request)`` never raises for a failed activation: whatever happens, the caller gets
an ``Activation`` (a whisk internal error when the pool itself fails), ready to store and to
report to the controller. Annotations follow OpenWhisk: ``path``, ``waitTime``, ``kind``,
``timeout``, ``limits`` and, only when /init ran (cold or stem-cell start), ``initTime``; the
request's own annotations (``causedBy``, ``binding``...) are added after them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from invoker.pool.pool import ContainerPool
from invoker.pool.requests import RunRequest
from invoker.pool.runs import RunOutcome
from whisk.entities.activation import Activation, annotation, whisk_error

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class InvokerConfig:
    name: str = "invoker0"  # this invoker's identity (log field, health pings later)


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Invoker:
    def __init__(
        self,
        pool: ContainerPool,
        config: InvokerConfig | None = None,
        *,
        wall_ms: Callable[[], int] = _wall_ms,
    ) -> None:
        self._pool = pool
        self._config = config or InvokerConfig()
        self._wall_ms = wall_ms

    @property
    def pool(self) -> ContainerPool:
        return self._pool

    async def run(
        self, request: RunRequest, *, on_accepted: Callable[[], None] | None = None
    ) -> Activation:
        """``on_accepted``: see ``ContainerPool.run`` (the feed commits its offset then).

        The caller binds the activation's ids to the log context (the service does, once per
        activation); this line names them itself, so it stands alone either way."""
        try:
            outcome = await self._pool.run(request, on_accepted=on_accepted)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception(
                "the pool could not run the activation",
                activation_id=str(request.activation_id),
                transid=request.transaction_id,
            )
            now = self._wall_ms()
            message = getattr(exc, "message", None) or "Failed to run the action."
            outcome = RunOutcome(whisk_error(message), now, now)
        log.debug(  # per activation: debug only (metrics carry the counts)
            "activation finished",
            activation_id=str(request.activation_id),
            transid=request.transaction_id,
            invoker=self._config.name,
            action=request.action,
            status=outcome.response.status_code.status,
            start=outcome.start.value if outcome.start else None,
            duration_ms=outcome.end_ms - outcome.start_ms,
        )
        return record(request, outcome)


def record(request: RunRequest, outcome: RunOutcome) -> Activation:
    """The activation record of one outcome (pure)."""
    notes = [
        annotation("path", request.action),
        annotation("waitTime", max(0, outcome.start_ms - request.wait_start_ms)),
        annotation("kind", request.kind),
        annotation("timeout", outcome.timed_out),
        annotation("limits", request.limits.to_json()),
    ]
    if outcome.init_time_ms is not None:
        notes.append(annotation("initTime", outcome.init_time_ms))
    if request.annotations:
        notes.extend(dict(a) for a in request.annotations)
    return Activation(
        namespace=request.namespace,
        name=request.name,
        version=request.version,
        subject=request.subject,
        activation_id=request.activation_id,
        start=outcome.start_ms,
        end=max(outcome.end_ms, outcome.start_ms),
        response=outcome.response,
        logs=list(outcome.logs),
        annotations=notes,
        cause=request.cause,
    )
