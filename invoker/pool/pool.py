"""The container pool's shell: applies ``scheduling`` decisions through the container port.

``ContainerPool.run(request)`` places the run (warm, warming, stem cell, cold, after eviction, or
after waiting in order), initialises the container when needed, runs the action, collects its
logs and hands back a ``RunOutcome``. Developer and whisk errors destroy the container; success
and application errors leave it warm. A housekeeping task pauses idle containers after the
grace, reaps them after the idle timeout and keeps the stem cells topped up.

The pool never closes its factory: whoever made the factory closes it after ``drain()``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from invoker.containers.ports import Container, ContainerFactory, ContainerSpec
from invoker.pool import scheduling
from invoker.pool.calls import create, initialise, run
from invoker.pool.config import PoolConfig, StemCellSpec
from invoker.pool.protocol import container_name
from invoker.pool.proxy import ContainerProxy
from invoker.pool.requests import RunRequest
from invoker.pool.runlogs import collect_logs
from invoker.pool.runs import Placement, RunOutcome, StartKind
from invoker.pool.state import ContainerData, ContainerState, PoolState
from whisk.entities.activation import ActivationResponse, whisk_error
from whisk.errors import Conflict, NotFound, Unavailable

log = structlog.get_logger(__name__)


_WARM_DECISIONS = (scheduling.UseWarm, scheduling.JoinWarming)


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class ContainerPool:
    def __init__(
        self,
        factory: ContainerFactory,
        config: PoolConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = _wall_ms,
    ) -> None:
        self._factory = factory
        self._config = config
        self._clock = clock
        self._wall_ms = wall_ms
        self._state = PoolState(config.user_memory_mb)
        self._proxies: dict[str, ContainerProxy] = {}
        self._waiting: dict[str, tuple[RunRequest, asyncio.Future[Placement | str]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ids = itertools.count(1)
        self._stem_failures: dict[tuple[str, int], int] = {}
        self._runs = 0
        self._stem_runs = 0  # runs on a taken stem cell whose replacement waits for them
        self._closing = False
        self._changed = asyncio.Condition()
        self._watchers = 0  # callers of wait_until/drain waiting on _changed
        self._housekeeper: asyncio.Task[None] | None = None

    # -- public ---------------------------------------------------------------------------------

    @property
    def state(self) -> PoolState:
        return self._state

    @property
    def free_mb(self) -> int:
        """Memory not held by any container (the feed takes work only while there is room)."""
        return self._state.free_mb

    def container(self, container_id: str) -> Container:
        """The live handle of a pool container (diagnostics and benchmarks)."""
        proxy = self._proxies.get(container_id)
        if proxy is None or proxy.container is None:
            raise NotFound(f"no live container {container_id} in the pool")
        return proxy.container

    async def start(self) -> None:
        """Remove containers a previous run left, start stem cells and housekeeping."""
        removed = await self._factory.remove_orphans(self._config.instance_label)
        if removed:
            log.info("removed orphan containers", count=removed)
        self._refill_stem_cells()
        self._housekeeper = asyncio.create_task(self._housekeeping(), name="pool-housekeeping")

    async def run(
        self, request: RunRequest, *, on_accepted: Callable[[], None] | None = None
    ) -> RunOutcome:
        """Run one activation. ``on_accepted`` is called once the pool has registered the run
        (queued or placed; ``drain`` now waits for it), before anything is awaited; never when
        the pool refuses it because it is shutting down (``Unavailable``)."""
        if self._closing:
            raise Unavailable("The invoker is shutting down.")
        self._runs += 1
        try:
            placement = await self._place(request, on_accepted)
            if isinstance(placement, str):  # rejected
                now = self._wall_ms()
                return RunOutcome(whisk_error(placement), now, now)
            return await self._execute(request, placement)
        finally:
            self._runs -= 1
            # a finished run frees no memory (its container stays, or is removed and
            # dispatches again once gone); a prewarmed run tops up in ``_execute``
            self._dispatch(stem_cells=False)

    def housekeep(self) -> None:
        """Reap idle containers, pause those past the grace, top up stem cells (one pass)."""
        now = self._clock()
        cfg = self._config
        for cid in scheduling.containers_to_reap(self._state, now, cfg.idle_timeout_s):
            log.info("reaping idle container", container=cid)
            self._remove(cid)
        for cid in scheduling.containers_to_pause(self._state, now, cfg.pause_grace_s):
            self._set(self._state.get(cid).paused())
            self._spawn(self._pause(cid))
        self._refill_stem_cells()

    async def wait_until(self, predicate: Callable[[PoolState], bool]) -> None:
        """Return once ``predicate(state)`` holds (tests, benchmarks, start-up)."""
        self._watchers += 1
        try:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self._state))
        finally:
            self._watchers -= 1

    async def drain(self) -> None:
        """Refuse new runs, wait for the running and waiting ones, destroy every container."""
        self._closing = True
        self._watchers += 1
        try:
            async with self._changed:
                await self._changed.wait_for(lambda: self._runs == 0)
        finally:
            self._watchers -= 1
        if self._housekeeper is not None:
            self._housekeeper.cancel()
            await asyncio.gather(self._housekeeper, return_exceptions=True)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        proxies = list(self._proxies.values())
        self._proxies.clear()
        self._state = PoolState(self._config.user_memory_mb)
        await asyncio.gather(*(p.destroy() for p in proxies))
        await self._notify()

    async def close(self) -> None:
        await self.drain()

    # -- placing runs ---------------------------------------------------------------------------

    async def _place(
        self, request: RunRequest, on_accepted: Callable[[], None] | None = None
    ) -> Placement | str:
        run_id = str(request.activation_id)
        if run_id in self._waiting:
            raise Conflict(f"activation {run_id} is already waiting in this pool")
        if not self._state.queue:
            # Nobody waits: place it now if it can be (the common case: a warm container).
            decision = scheduling.schedule(self._state, request)
            if not isinstance(decision, scheduling.Wait):
                placement = self._decided(decision, request)
                # a warm placement changes neither memory nor stem cells: nothing to top up
                self._changed_state(stem_cells=not isinstance(decision, _WARM_DECISIONS))
                if on_accepted is not None:
                    on_accepted()
                return placement
        future: asyncio.Future[Placement | str] = asyncio.get_running_loop().create_future()
        self._waiting[run_id] = (request, future)
        self._state = self._state.enqueue(run_id)
        self._dispatch()
        if on_accepted is not None:
            on_accepted()
        try:
            return await future
        except asyncio.CancelledError:
            if self._waiting.pop(run_id, None) is not None:
                self._state = self._state.dequeue(run_id)
            elif future.done() and isinstance(placed := future.result(), Placement):
                self._release(placed.container_id, destroy=False)
            raise

    def _dispatch(self, *, stem_cells: bool = True) -> None:
        """Place waiting runs, in order, for as long as the head can be placed; then top up
        the stem cells if ``stem_cells`` or a queued run was placed."""
        while self._state.queue:
            run_id = self._state.queue[0]
            request, future = self._waiting[run_id]
            decision = scheduling.schedule(self._state, request)
            if isinstance(decision, scheduling.Wait):
                break
            del self._waiting[run_id]
            self._state = self._state.dequeue(run_id)
            future.set_result(self._decided(decision, request))
            stem_cells = True
        self._changed_state(stem_cells=stem_cells)

    def _changed_state(self, *, stem_cells: bool) -> None:
        """Top up stem cells when asked (unless a taken one's run is still going) and wake
        watchers."""
        if stem_cells and not self._stem_runs:
            self._refill_stem_cells()
        if self._watchers:  # a task per dispatch only when someone waits for a state
            self._spawn(self._notify())

    def _decided(self, decision: scheduling.Decision, request: RunRequest) -> Placement | str:
        """A placement, or the reason the run is rejected."""
        if isinstance(decision, scheduling.Reject):
            return decision.reason
        return self._apply(decision, request)

    def _apply(self, decision: scheduling.Decision, request: RunRequest) -> Placement:
        now = self._clock()
        match decision:
            case scheduling.UseWarm(cid) | scheduling.JoinWarming(cid):
                self._set(self._state.get(cid).run_assigned(now))
                kind = StartKind.WARM
                if isinstance(decision, scheduling.JoinWarming):
                    kind = StartKind.WARMING
                return Placement(cid, kind)
            case scheduling.UsePrewarmed(cid):
                self._set(self._state.get(cid).taken(request.key, request.concurrency, now))
                # its replacement starts once this run has its result: on a small machine a
                # container start next to the /init would slow the very run it serves
                self._stem_runs += 1
                return Placement(cid, StartKind.PREWARMED)
            case scheduling.CreateCold(evict):
                for victim in evict:
                    log.info("evicting container", container=victim)
                    self._state = self._state.without(victim)
                    proxy = self._proxies.pop(victim)
                    self._spawn(proxy.destroy())
                cid, counter = self._new_id()
                name = container_name(self._config.name_prefix, counter, *request.action.split("/"))
                self._proxies[cid] = ContainerProxy(cid, self._spec(name, request))
                self._set(
                    ContainerData.cold(
                        cid, request.kind, request.memory_mb, request.key, request.concurrency, now
                    )
                )
                return Placement(cid, StartKind.COLD)
        raise AssertionError(f"unexpected decision {decision!r}")

    def _spec(self, name: str, request: RunRequest) -> ContainerSpec:
        return ContainerSpec(
            name=name,
            kind=request.kind,
            image=request.exec.image,
            memory_mb=request.memory_mb,
            network=request.network,
            transport=request.exec.transport,
            env=dict(self._config.env or {}),
            concurrency=request.concurrency,
            native=request.exec.native,
        )

    # -- running --------------------------------------------------------------------------------

    async def _execute(self, request: RunRequest, placement: Placement) -> RunOutcome:
        cid = placement.container_id
        proxy = self._proxies[cid]
        response: ActivationResponse | None = None
        init_time: int | None = None
        timed_out = False
        start_ms = self._wall_ms()
        logs: tuple[str, ...] = ()
        destroy = False
        try:
            if placement.start in (StartKind.COLD, StartKind.PREWARMED):
                if placement.start is StartKind.COLD:
                    response = await create(proxy, self._factory)
                start_ms = self._wall_ms()
                if response is None:
                    response, init_time, timed_out = await self._initialise(request, proxy)
            elif placement.start is StartKind.WARMING:
                response = await asyncio.shield(proxy.init_result)
                start_ms = self._wall_ms()
                if response is not None:  # the initialising run records its logs
                    return RunOutcome(response, start_ms, self._wall_ms(), None, False, (), cid)
            else:
                await proxy.resume_if_paused()
            if response is None:
                if init_time is None:
                    start_ms = self._wall_ms()
                response, timed_out = await run(
                    request, proxy, self._wall_ms, self._config.max_result_bytes
                )
            destroy = response.is_container_error
            if proxy.container is not None:
                logs = await collect_logs(proxy.handle, request, response, self._config)
                # a run that left processes behind costs its container (the record stays what
                # the action returned); with concurrent runs another run's could be counted
                if not destroy and request.concurrency == 1 and proxy.handle.left_processes():
                    log.warning("run left processes behind: removing its container", container=cid)
                    destroy = True
        except asyncio.CancelledError:
            destroy = True
            raise
        except Exception as exc:
            log.exception("run failed in the pool", container=cid)
            response = whisk_error(f"Failed to run the action: {exc}")
            destroy = True
        finally:
            self._release(cid, destroy=destroy)
            if placement.start is StartKind.PREWARMED:
                self._stem_runs -= 1
                self._refill_stem_cells()
        return RunOutcome(
            response, start_ms, self._wall_ms(), init_time, timed_out, logs, cid, placement.start
        )

    async def _initialise(
        self, request: RunRequest, proxy: ContainerProxy
    ) -> tuple[ActivationResponse | None, int, bool]:
        error, init_time, timed_out = await initialise(request, proxy, self._wall_ms)
        current = self._state.containers.get(proxy.pool_id)
        if error is None and current is not None and current.state is ContainerState.WARMING:
            self._set(current.initialised())
        proxy.settle_init(error)
        return error, init_time, timed_out

    # -- state changes --------------------------------------------------------------------------

    def _release(self, cid: str, *, destroy: bool) -> None:
        current = self._state.containers.get(cid)
        if current is None or current.state is ContainerState.REMOVING:
            return
        if destroy:
            self._remove(cid)
        else:
            self._set(current.run_finished(self._clock()))

    def _remove(self, cid: str) -> None:
        """Destroy a container; its memory counts until it is gone."""
        current = self._state.containers.get(cid)
        if current is None or current.state is ContainerState.REMOVING:
            return
        self._set(current.removing())
        self._spawn(self._destroy(cid))

    async def _destroy(self, cid: str) -> None:
        proxy = self._proxies.pop(cid, None)
        if proxy is not None:
            await proxy.destroy()
        self._state = self._state.without(cid)
        self._dispatch()

    async def _pause(self, cid: str) -> None:
        proxy = self._proxies.get(cid)
        if proxy is None:
            return

        def still_paused() -> bool:
            current = self._state.containers.get(cid)
            return current is not None and current.state is ContainerState.PAUSED

        try:
            await proxy.pause_if(still_paused)
        except Exception as exc:
            log.warning("pause failed; removing the container", container=cid, error=repr(exc))
            current = self._state.containers.get(cid)
            if current is not None and current.state is ContainerState.PAUSED:
                self._remove(cid)

    def _refill_stem_cells(self) -> None:
        if self._closing:
            return
        limit = self._config.stem_cell_retry_limit
        specs = [
            s
            for s in self._config.stem_cells
            if self._stem_failures.get((s.kind, s.memory_mb), 0) < limit
        ]
        for spec in scheduling.stem_cells_to_start(self._state, specs):
            cid, counter = self._new_id()
            name = container_name(self._config.name_prefix, counter, "prewarm", spec.kind)
            self._proxies[cid] = ContainerProxy(cid, self._stem_spec(name, spec))
            self._set(ContainerData.stem_cell(cid, spec.kind, spec.memory_mb, spec.concurrency))
            self._spawn(self._start_stem_cell(cid, spec))

    def _stem_spec(self, name: str, spec: StemCellSpec) -> ContainerSpec:
        return ContainerSpec(
            name=name,
            kind=spec.kind,
            image=spec.image,
            memory_mb=spec.memory_mb,
            transport=spec.transport,
            env=dict(self._config.env or {}),
            concurrency=spec.concurrency,
        )

    async def _start_stem_cell(self, cid: str, spec: StemCellSpec) -> None:
        key = (spec.kind, spec.memory_mb)
        try:
            await self._proxies[cid].create(self._factory)
        except Exception as exc:
            self._stem_failures[key] = self._stem_failures.get(key, 0) + 1
            log.warning("stem cell failed to start", kind=spec.kind, error=repr(exc))
            self._proxies.pop(cid, None)
            self._state = self._state.without(cid)
        else:
            self._stem_failures.pop(key, None)
            current = self._state.containers.get(cid)
            if current is not None and current.state is ContainerState.STARTING:
                self._set(current.started())
        self._dispatch()

    def _set(self, container: ContainerData) -> None:
        self._state = self._state.put(container)

    def _new_id(self) -> tuple[str, int]:
        counter = next(self._ids)
        return f"c{counter}", counter

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(self._config.housekeeping_interval_s)
            try:
                self.housekeep()
            except Exception:
                log.exception("pool housekeeping failed")
