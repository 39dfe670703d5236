"""What every entry hands the one dispatch: an ``InvocationRequest``, built once at the edge
(the REST invoke, a web action, a rule firing, a retry, a sequence or conductor step), and
what it gets back, an ``InvokeOutcome``.

``Dispatch`` is the port the compositions and the trigger firer call; ``controller.runner``'s
``ActionRunner`` implements it (sequences, conductors and plain actions, with retries).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, Protocol

from controller.resolve import ResolvedAction
from whisk.entities.activation import Activation
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.store.ports import Identity


@dataclass(frozen=True, slots=True)
class InvocationRequest:
    """One run of an action: who asks, under which limits, what runs with which input, and
    how the caller waits.

    ``internal`` steps of a composition are not throttled again (their composition was) and
    may wait past the public blocking cap, up to the action's own time limit plus a margin.
    ``attempt``/``first_id`` number the retries of a non-blocking run.
    """

    identity: Identity
    limits: NamespaceLimits
    resolved: ResolvedAction
    payload: dict[str, Any] | None
    blocking: bool
    wait_ms: int | None
    tid: str
    api_key: str | None = None
    cause: str | None = None  # the activation that caused this one (trigger, composition)
    annotations: tuple[dict[str, Any], ...] = ()  # record annotations the invoker cannot know
    internal: bool = False
    attempt: int = 0
    first_id: str | None = None

    def step(
        self,
        resolved: ResolvedAction,
        payload: dict[str, Any],
        *,
        cause: str,
        wait_ms: int,
        annotations: tuple[dict[str, Any], ...] = (),
    ) -> InvocationRequest:
        """A blocking, internal step of a composition run on behalf of this request."""
        return replace(
            self,
            resolved=resolved,
            payload=payload,
            blocking=True,
            wait_ms=wait_ms,
            cause=cause,
            annotations=annotations,
            internal=True,
            attempt=0,
            first_id=None,
        )


@dataclass(frozen=True, slots=True)
class InvokeOutcome:
    """What the entry renders: a finished activation, or only an id (202 / non-blocking).
    ``completion`` resolves when a non-blocking plain run is acknowledged (retries wait on
    it)."""

    activation_id: str
    activation: Activation | None  # None: not finished within the wait (or non-blocking)
    completion: asyncio.Future[Any] | None = None


class Dispatch(Protocol):
    """The one dispatch: runs any action (plain, sequence, conductor) for a request."""

    @property
    def max_wait_ms(self) -> int: ...

    async def admit(self, identity: Identity, limits: NamespaceLimits) -> None:
        """The namespace's throttles for one invocation, without counting it in flight."""
        ...

    async def run(self, request: InvocationRequest) -> InvokeOutcome: ...
