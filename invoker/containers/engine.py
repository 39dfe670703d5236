"""The container-engine port: the Docker verbs the Docker factory needs (no I/O here).

OpenWhisk's ``DockerApi`` trait is eight verbs; ours is about as small. ``docker_engine``
implements it with the Docker SDK (the only module importing ``docker``); ``memory_engine`` is
its in-memory twin for tests that need no engine. Bodies and answers are the Engine API's JSON
(``create`` takes the body of ``POST /containers/create``, ``inspect`` gives
``GET /containers/{id}/json``).

Errors: the engine unreachable -> ``Unavailable``; no such container or image -> ``NotFound``;
anything else -> ``InternalError`` whose message carries the engine's own text (the factory
reads it to tell an action's fault from ours, see ``images``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol


class OutputStream(Protocol):
    """A container's attached stdout + stderr: the engine's multiplexed frames, as they come."""

    def chunks(self) -> AsyncIterator[bytes]: ...

    def close(self) -> None: ...


class EventStream(Protocol):
    """The engine's events from now on, one decoded JSON object each."""

    def events(self) -> AsyncIterator[dict[str, Any]]: ...

    def close(self) -> None: ...


class Engine(Protocol):
    async def ping(self) -> bool: ...

    async def inspect_image(self, image: str) -> dict[str, Any]: ...

    async def pull(self, image: str, timeout_s: float) -> None:
        """Pull ``image`` from its registry; ``InternalError`` when it fails or takes longer."""
        ...

    async def run(self, name: str, config: dict[str, Any]) -> tuple[str, OutputStream]:
        """Create a container from ``config``, attach to its output, start it: its id and its
        output. When attach or start fails the container is removed again; a missing image
        raises ``NotFound`` (nothing else does)."""
        ...

    async def inspect(self, container_id: str) -> dict[str, Any]: ...

    async def pause(self, container_id: str) -> None: ...

    async def unpause(self, container_id: str) -> None: ...

    async def wait(self, container_id: str, timeout_s: float) -> None:
        """Return once the container is not running (``InternalError`` on timeout)."""
        ...

    async def remove(self, container_id: str) -> None:
        """Kill if running and remove, with its anonymous volumes."""
        ...

    async def list_by_label(self, label: str, value: str) -> list[dict[str, Any]]:
        """All containers (running or not) carrying ``label=value``."""
        ...

    async def events(self, filters: dict[str, list[str]]) -> EventStream: ...

    async def close(self) -> None: ...
