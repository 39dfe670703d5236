"""One container as the pool's shell drives it: create, /init once, pause, resume, destroy.

The pool's state says what a container is *for* (``state.ContainerData``); this object holds the
live handle and serialises the operations that must not overlap (pause against resume).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from invoker.containers.ports import Container, ContainerFactory, ContainerSpec
from whisk.entities.activation import ActivationResponse, whisk_error

log = structlog.get_logger(__name__)


class ContainerProxy:
    def __init__(self, pool_id: str, spec: ContainerSpec) -> None:
        self.pool_id = pool_id
        self.spec = spec
        self.container: Container | None = None
        # Result of /init, shared with runs that joined while the container was warming:
        # None when /init succeeded, else the error every one of them records.
        self.init_result: asyncio.Future[ActivationResponse | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.paused = False
        self._lock = asyncio.Lock()
        self._destroyed = False

    @property
    def handle(self) -> Container:
        if self.container is None:
            raise RuntimeError(f"container {self.pool_id} was not created")
        return self.container

    async def create(self, factory: ContainerFactory) -> Container:
        self.container = await factory.create(self.spec)
        if self._destroyed:  # removed while it was being created
            await self.container.destroy()
        return self.container

    def settle_init(self, result: ActivationResponse | None) -> None:
        if not self.init_result.done():
            self.init_result.set_result(result)

    async def pause_if(self, still_wanted: Callable[[], bool]) -> None:
        """Pause unless a run claimed the container meanwhile (checked under the lock)."""
        async with self._lock:
            if self.paused or self._destroyed or not still_wanted():
                return
            await self.handle.pause()
            self.paused = True

    async def resume_if_paused(self) -> None:
        if not self.paused and not self._lock.locked():
            return  # the common case, without taking the lock (no pause can be under way)
        async with self._lock:
            if self.paused:
                await self.handle.resume()
                self.paused = False

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        self.settle_init(whisk_error("The container was removed before it was initialised."))
        if self.container is not None:
            try:
                await self.container.destroy()
            except Exception as exc:
                log.warning("container destroy failed", container=self.pool_id, error=repr(exc))
