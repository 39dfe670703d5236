"""Where a run goes, which stem cells to start, which containers to pause or reap.

Pure: state in, decision out. The order of ``schedule`` is OpenWhisk's (``object
ContainerPool``):

1. a warm container of the same (invoking namespace, action, revision) with spare concurrency;
2. a container warming for the same key with spare concurrency;
3. a prewarmed stem cell of the same kind and memory (whose proxy accepts the run's concurrency);
4. a cold container, if the free memory allows;
5. evicting idle warm containers, least recently used first (never stem cells, never busy
   ones), until the memory suffices, then a cold container; (departure: when nothing running
   will ever free memory, prewarmed stem cells may be evicted too, rather than wait forever)
6. otherwise the run waits in the queue. The queue is strictly in order: a run that is not the
   head waits too, so a large action is not starved by small ones behind it.

A run bigger than the whole pool can never be placed and is rejected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from invoker.pool.config import StemCellSpec
from invoker.pool.requests import RunRequest
from invoker.pool.state import INITIALISED, ContainerData, ContainerState, PoolState


@dataclass(frozen=True, slots=True)
class UseWarm:
    container_id: str


@dataclass(frozen=True, slots=True)
class JoinWarming:
    container_id: str


@dataclass(frozen=True, slots=True)
class UsePrewarmed:
    container_id: str


@dataclass(frozen=True, slots=True)
class CreateCold:
    evict: tuple[str, ...] = ()  # destroy these first; their memory is counted as free


@dataclass(frozen=True, slots=True)
class Wait:
    reason: str


@dataclass(frozen=True, slots=True)
class Reject:
    reason: str


Decision = UseWarm | JoinWarming | UsePrewarmed | CreateCold | Wait | Reject


def schedule(state: PoolState, request: RunRequest) -> Decision:
    run_id = str(request.activation_id)
    if state.queue and state.queue[0] != run_id:
        return Wait("queued behind earlier runs")
    if request.memory_mb > state.capacity_mb:
        return Reject(
            f"The action needs {request.memory_mb} MB but the invoker has only "
            f"{state.capacity_mb} MB of user memory."
        )
    containers = list(state.containers.values())

    key = request.key
    warm = [
        c
        for c in containers
        if c.action == key and c.state in INITIALISED and c.active < c.max_concurrency
    ]
    if len(warm) == 1:
        return UseWarm(warm[0].id)
    if warm:
        # Unpaused first (no resume), then the fullest (pack concurrent runs), then the newest.
        best = min(
            warm, key=lambda c: (c.state is ContainerState.PAUSED, -c.active, -c.last_used, c.id)
        )
        return UseWarm(best.id)

    warming = [
        c
        for c in containers
        if c.state is ContainerState.WARMING and c.action == request.key and c.has_capacity
    ]
    if warming:
        return JoinWarming(min(warming, key=lambda c: (-c.active, c.id)).id)

    stem = _prewarmed(containers, request)
    if stem is not None:
        return UsePrewarmed(stem.id)

    if request.memory_mb <= state.free_mb:
        return CreateCold()

    needed = request.memory_mb - state.free_mb
    victims = _victims(containers, needed, (ContainerState.WARM, ContainerState.PAUSED))
    if victims is not None:
        return CreateCold(evict=victims)
    if not any(c.state in _FREES_MEMORY_LATER for c in containers):
        # Nothing running will ever free memory: stem cells (of other kinds or sizes) are all
        # that is left in the way. OpenWhisk would wait forever here; we evict them.
        victims = _victims(
            containers,
            needed,
            (ContainerState.WARM, ContainerState.PAUSED, ContainerState.PREWARMED),
        )
        if victims is not None:
            return CreateCold(evict=victims)
    return Wait("not enough free memory")


_FREES_MEMORY_LATER = frozenset(
    {
        ContainerState.BUSY,
        ContainerState.WARMING,
        ContainerState.REMOVING,
        ContainerState.STARTING,
    }
)


def _prewarmed(containers: Iterable[ContainerData], request: RunRequest) -> ContainerData | None:
    """A ready stem cell of the run's kind and memory whose proxy accepts its concurrency."""
    matching = [
        c
        for c in containers
        if c.state is ContainerState.PREWARMED
        and c.kind == request.kind
        and c.memory_mb == request.memory_mb
        and c.max_concurrency >= request.concurrency
    ]
    return min(matching, key=lambda c: c.id) if matching else None


def _victims(
    containers: Iterable[ContainerData], needed_mb: int, states: tuple[ContainerState, ...]
) -> tuple[str, ...] | None:
    """Idle containers in ``states``, least recently used first, until ``needed_mb`` is freed;
    None when even all of them are not enough."""
    idle = sorted(
        (c for c in containers if c.state in states),
        key=lambda c: (c.last_used, c.id),
    )
    chosen: list[str] = []
    freed = 0
    for container in idle:
        if freed >= needed_mb:
            break
        if not container.is_idle:
            continue
        chosen.append(container.id)
        freed += container.memory_mb
    return tuple(chosen) if freed >= needed_mb else None


def stem_cells_to_start(state: PoolState, stem_cells: Iterable[StemCellSpec]) -> list[StemCellSpec]:
    """One entry per stem cell to start now (a spec may repeat), in configuration order,
    within free memory. Nothing while runs wait: they need the memory more."""
    if state.queue:
        return []
    free = state.free_mb
    wanted: list[StemCellSpec] = []
    for spec in stem_cells:
        have = sum(
            1
            for c in state.containers.values()
            if c.state in (ContainerState.STARTING, ContainerState.PREWARMED)
            and c.kind == spec.kind
            and c.memory_mb == spec.memory_mb
        )
        for _ in range(max(0, spec.count - have)):
            if spec.memory_mb > free:
                break
            wanted.append(spec)
            free -= spec.memory_mb
    return wanted


def containers_to_reap(state: PoolState, now: float, idle_timeout_s: float) -> list[str]:
    """Idle initialised containers unused for ``idle_timeout_s`` or more."""
    return sorted(
        c.id
        for c in state.containers.values()
        if c.state in (ContainerState.WARM, ContainerState.PAUSED)
        and c.is_idle
        and now - c.last_used >= idle_timeout_s
    )


def containers_to_pause(state: PoolState, now: float, pause_grace_s: float | None) -> list[str]:
    """Warm idle containers past the pause grace; none when pausing is off (``None``)."""
    if pause_grace_s is None:
        return []
    return sorted(
        c.id
        for c in state.containers.values()
        if c.state is ContainerState.WARM and c.is_idle and now - c.last_used >= pause_grace_s
    )
