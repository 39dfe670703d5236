"""The container pool as data: each container's lifecycle state and what the pool holds.

Pure: no I/O, no awaits. The shell (``pool.py``) owns one ``PoolState`` and replaces it with the
values these methods return.

Lifecycle of one container (ids are the pool's own, assigned before the container exists)::

    stem cell:  STARTING ──started──▶ PREWARMED ──taken by a run──▶ WARMING
    cold:                                              (created) ──▶ WARMING
    WARMING ──/init ok──▶ BUSY ──last run done──▶ WARM ──grace──▶ PAUSED
    WARM / PAUSED ──run assigned──▶ BUSY
    any ──failure, reaping──▶ REMOVING ──destroyed──▶ (gone)

Memory: every container in the pool, in any state, counts its memory against the pool's
capacity until it is dropped from the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from whisk.errors import InternalError


class ContainerState(StrEnum):
    STARTING = "starting"  # a stem cell being created
    PREWARMED = "prewarmed"  # a stem cell ready for /init
    WARMING = "warming"  # created (or taken) for an action; /init not yet done
    WARM = "warm"  # initialised and idle
    BUSY = "busy"  # initialised with runs in flight
    PAUSED = "paused"  # initialised, idle and paused
    REMOVING = "removing"  # being destroyed


INITIALISED = frozenset({ContainerState.WARM, ContainerState.BUSY, ContainerState.PAUSED})
STEM_CELL_STATES = frozenset({ContainerState.STARTING, ContainerState.PREWARMED})


class ActionKey(NamedTuple):
    """What a warm container is good for: the invoking namespace, the action's fully qualified
    name (``ns/pkg/name``) and the revision of its definition (an update makes a new one)."""

    namespace: str
    action: str
    revision: str


@dataclass(frozen=True, slots=True)
class ContainerData:
    id: str
    kind: str
    memory_mb: int
    state: ContainerState
    action: ActionKey | None = None  # None for stem cells
    active: int = 0  # runs assigned and not finished
    max_concurrency: int = 1
    last_used: float = 0.0  # monotonic seconds

    def __post_init__(self) -> None:
        if self.memory_mb <= 0 or self.max_concurrency < 1 or self.active < 0:
            raise InternalError(f"invalid container data {self!r}")
        if self.action is None and self.state not in STEM_CELL_STATES | {ContainerState.REMOVING}:
            raise InternalError(f"container {self.id} in state {self.state} needs an action")

    @property
    def has_capacity(self) -> bool:
        return self.active < self.max_concurrency

    @property
    def is_idle(self) -> bool:
        return self.active == 0

    # -- transitions: each returns the container's next data ----------------------------------

    @classmethod
    def stem_cell(cls, id: str, kind: str, memory_mb: int, concurrency: int = 1) -> ContainerData:
        """``concurrency``: the runs its proxy was started to accept at once."""
        return cls(
            id=id,
            kind=kind,
            memory_mb=memory_mb,
            state=ContainerState.STARTING,
            max_concurrency=concurrency,
        )

    @classmethod
    def cold(
        cls, id: str, kind: str, memory_mb: int, action: ActionKey, concurrency: int, now: float
    ) -> ContainerData:
        """A new container for ``action`` with its first run assigned."""
        return cls(
            id=id,
            kind=kind,
            memory_mb=memory_mb,
            state=ContainerState.WARMING,
            action=action,
            active=1,
            max_concurrency=concurrency,
            last_used=now,
        )

    def started(self) -> ContainerData:
        self._expect(ContainerState.STARTING)
        return self._with(state=ContainerState.PREWARMED)

    def taken(self, action: ActionKey, concurrency: int, now: float) -> ContainerData:
        """A prewarmed stem cell given to ``action`` with its first run assigned."""
        self._expect(ContainerState.PREWARMED)
        if concurrency > self.max_concurrency:
            raise InternalError(f"stem cell {self.id} cannot serve {concurrency} runs at once")
        return self._with(
            state=ContainerState.WARMING,
            action=action,
            active=1,
            max_concurrency=concurrency,
            last_used=now,
        )

    def run_assigned(self, now: float) -> ContainerData:
        """One more run for a warming or initialised container with spare capacity."""
        self._expect(ContainerState.WARMING, *INITIALISED)
        if not self.has_capacity:
            raise InternalError(f"container {self.id} has no spare capacity")
        state = self.state if self.state is ContainerState.WARMING else ContainerState.BUSY
        return self._next(state, self.active + 1, now)

    def initialised(self) -> ContainerData:
        self._expect(ContainerState.WARMING)
        return self._with(state=ContainerState.BUSY if self.active else ContainerState.WARM)

    def run_finished(self, now: float) -> ContainerData:
        self._expect(ContainerState.WARMING, ContainerState.BUSY)
        if self.active == 0:
            raise InternalError(f"container {self.id} has no run to finish")
        active = self.active - 1
        state = self.state
        if state is ContainerState.BUSY and active == 0:
            state = ContainerState.WARM
        return self._next(state, active, now)

    def paused(self) -> ContainerData:
        self._expect(ContainerState.WARM)
        return self._with(state=ContainerState.PAUSED)

    def removing(self) -> ContainerData:
        return self._with(state=ContainerState.REMOVING)

    def _next(self, state: ContainerState, active: int, last_used: float) -> ContainerData:
        """The per-run transitions' copy: positional, no field lookups."""
        return ContainerData(
            self.id,
            self.kind,
            self.memory_mb,
            state,
            self.action,
            active,
            self.max_concurrency,
            last_used,
        )

    def _with(self, **changes: Any) -> ContainerData:
        """A copy with ``changes`` (faster than ``dataclasses.replace`` on this hot path; the
        constructor still checks the result)."""
        values = {name: getattr(self, name) for name in _CONTAINER_FIELDS}
        values.update(changes)
        return ContainerData(**values)

    def _expect(self, *states: ContainerState) -> None:
        if self.state not in states:
            raise InternalError(f"container {self.id} is {self.state}, expected one of {states}")


_CONTAINER_FIELDS = tuple(f.name for f in fields(ContainerData))


@dataclass(frozen=True)
class PoolState:
    """All containers of one pool, its capacity and the ids of runs waiting, in order."""

    capacity_mb: int
    containers: Mapping[str, ContainerData] = field(default_factory=dict)
    queue: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A read-only view is taken as is: the methods below make theirs over fresh dicts, and
        # this copy is on the per-run path (exact type on purpose).
        if type(self.containers) is not MappingProxyType:
            object.__setattr__(self, "containers", MappingProxyType(dict(self.containers)))

    @classmethod
    def of(
        cls, capacity_mb: int, containers: Iterable[ContainerData] = (), queue: Iterable[str] = ()
    ) -> PoolState:
        return cls(capacity_mb, {c.id: c for c in containers}, tuple(queue))

    @property
    def used_mb(self) -> int:
        return sum(c.memory_mb for c in self.containers.values())

    @property
    def free_mb(self) -> int:
        return self.capacity_mb - self.used_mb

    @property
    def active_runs(self) -> int:
        return sum(c.active for c in self.containers.values())

    def get(self, container_id: str) -> ContainerData:
        try:
            return self.containers[container_id]
        except KeyError as exc:
            raise InternalError(f"no container {container_id} in the pool") from exc

    def put(self, container: ContainerData) -> PoolState:
        """Add ``container`` or replace the one with its id."""
        containers = MappingProxyType({**self.containers, container.id: container})
        return PoolState(self.capacity_mb, containers, self.queue)

    def without(self, *container_ids: str) -> PoolState:
        gone = set(container_ids)
        kept = {k: v for k, v in self.containers.items() if k not in gone}
        return PoolState(self.capacity_mb, MappingProxyType(kept), self.queue)

    def enqueue(self, run_id: str) -> PoolState:
        return PoolState(self.capacity_mb, self.containers, (*self.queue, run_id))

    def dequeue(self, run_id: str) -> PoolState:
        return PoolState(
            self.capacity_mb, self.containers, tuple(q for q in self.queue if q != run_id)
        )

    def in_state(self, *states: ContainerState) -> list[ContainerData]:
        return [c for c in self.containers.values() if c.state in states]
