"""The engine port's in-memory twin: images, pulls and containers as plain data, no Docker.

It serves tests of the Docker factory's own decisions (which image to pull, whose fault a
failed start is, clean-up after failures) where no engine runs. Containers start nothing: no
proxy answers ``/init``, their output is empty. Behaviour is set with plain fields:
``images`` (name -> image config), ``registry`` (what a pull finds), ``start_errors`` (image ->
the engine's text when starting a container of it fails), ``remove_refusals`` (how many removes
fail next). ``calls`` records each verb.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from whisk.errors import InternalError, NotFound


@dataclass
class MemoryContainer:
    id: str
    name: str
    config: dict[str, Any]
    running: bool = False
    paused: bool = False


class _Quiet:
    """A stream with nothing in it that ends when closed."""

    def __init__(self) -> None:
        self._closed = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        await self._closed.wait()
        nothing: tuple[bytes, ...] = ()  # an async generator that ends when closed
        for chunk in nothing:
            yield chunk

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        await self._closed.wait()
        nothing: tuple[dict[str, Any], ...] = ()
        for event in nothing:
            yield event

    def close(self) -> None:
        self._closed.set()


@dataclass
class MemoryEngine:
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    registry: dict[str, dict[str, Any]] = field(default_factory=dict)
    start_errors: dict[str, str] = field(default_factory=dict)
    containers: dict[str, MemoryContainer] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    pull_delay_s: float = 0.0
    remove_refusals: int = 0  # the next removes refused as a fork-bombed container's are
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _container(self, container_id: str) -> MemoryContainer:
        container = self.containers.get(container_id)
        if container is None:
            raise NotFound(f"docker: No such container: {container_id}")
        return container

    async def ping(self) -> bool:
        return True

    async def inspect_image(self, image: str) -> dict[str, Any]:
        self.calls.append(("inspect_image", image))
        if image not in self.images:
            raise NotFound(f"docker inspect image {image}: No such image: {image}")
        return {"Config": self.images[image]}

    async def pull(self, image: str, timeout_s: float) -> None:
        self.calls.append(("pull", image))
        if self.pull_delay_s:
            await asyncio.sleep(self.pull_delay_s)
        if image not in self.registry:
            raise InternalError(f"docker pull {image}: pull access denied for {image}")
        self.images[image] = self.registry[image]

    async def run(self, name: str, config: dict[str, Any]) -> tuple[str, _Quiet]:
        self.calls.append(("create", name))
        image = str(config.get("Image"))
        if image not in self.images:
            raise NotFound(f"docker create {name}: No such image: {image}")
        container_id = f"{next(self._ids):064x}"
        self.calls.append(("start", name))
        error = self.start_errors.get(image)
        if error is not None:
            raise InternalError(f"docker start {name}: 400 {error}")  # and it was removed
        self.containers[container_id] = MemoryContainer(container_id, name, config, running=True)
        return container_id, _Quiet()

    async def inspect(self, container_id: str) -> dict[str, Any]:
        container = self._container(container_id)
        return {
            "Id": container.id,
            "Name": f"/{container.name}",
            "State": {"Running": container.running, "Paused": container.paused},
            "Config": {"Labels": container.config.get("Labels") or {}},
            "NetworkSettings": {"IPAddress": "127.0.0.1"},
        }

    async def pause(self, container_id: str) -> None:
        self._container(container_id).paused = True

    async def unpause(self, container_id: str) -> None:
        self._container(container_id).paused = False

    async def wait(self, container_id: str, timeout_s: float) -> None:
        self._container(container_id)

    async def remove(self, container_id: str) -> None:
        self.calls.append(("remove", container_id))
        self._container(container_id)
        if self.remove_refusals > 0:
            self.remove_refusals -= 1
            raise InternalError(
                f"docker remove {container_id[:12]}: 500 Could not kill running container "
                f"{container_id}, cannot remove - container {container_id[:12]} PID 4224 is "
                "zombie and can not be killed."
            )
        del self.containers[container_id]

    async def list_by_label(self, label: str, value: str) -> list[dict[str, Any]]:
        return [
            {"Id": c.id, "Names": [f"/{c.name}"]}
            for c in self.containers.values()
            if (c.config.get("Labels") or {}).get(label) == value
        ]

    async def events(self, filters: dict[str, list[str]]) -> _Quiet:
        return _Quiet()

    async def close(self) -> None:
        return None
