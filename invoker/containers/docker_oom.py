"""Knowing that a Docker action container ran out of memory.

Docker's ``State.OOMKilled`` is set only once the container has exited, so it misses an OOM
kill of a child process (the Node.js launcher) while the proxy, PID 1, lives on. Two more
sources, best first:

- the kernel's ``oom_kill`` counter of the container's memory cgroup (v1 ``memory.oom_control``,
  v2 ``memory.events``): exact and immediate, when this process can see the host's cgroups;
- the engine's ``oom`` events, watched on one stream per factory (label-filtered); these can
  arrive a moment after the run failed.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from invoker.containers.engine import Engine, EventStream
from whisk.errors import WhiskError

log = structlog.get_logger(__name__)

CGROUP_ROOT = "/sys/fs/cgroup"
_CANDIDATES = (
    "{root}/memory/docker/{id}/memory.oom_control",  # v1, cgroupfs driver
    "{root}/memory/system.slice/docker-{id}.scope/memory.oom_control",  # v1, systemd driver
    "{root}/docker/{id}/memory.events",  # v2, cgroupfs driver
    "{root}/system.slice/docker-{id}.scope/memory.events",  # v2, systemd driver
)


def parse_oom_kills(text: str) -> int:
    """The ``oom_kill N`` entry of a memory.oom_control / memory.events file (0 if absent)."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill" and value.strip().isdigit():
            return int(value)
    return 0


def cgroup_oom_kills(container_id: str, root: str = CGROUP_ROOT) -> int | None:
    """OOM kills in the container's memory cgroup; None when the cgroup cannot be read."""
    for template in _CANDIDATES:
        try:
            with open(template.format(root=root, id=container_id)) as control:
                return parse_oom_kills(control.read())
        except OSError:
            continue
    return None


class OomWatcher:
    """Remembers the containers (with our label) for which the engine reported an OOM."""

    def __init__(self, api: Engine, label_filter: str) -> None:
        self._api = api
        self._filter = label_filter
        self._seen: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._stream: EventStream | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="docker-oom-events")

    def seen(self, container_id: str) -> bool:
        return container_id in self._seen

    def forget(self, container_id: str) -> None:
        self._seen.discard(container_id)

    async def _watch(self) -> None:
        filters = {"type": ["container"], "event": ["oom"], "label": [self._filter]}
        try:
            self._stream = await self._api.events(filters)
        except WhiskError as exc:
            log.warning("cannot watch docker oom events", error=str(exc))
            return
        async for event in self._stream.events():
            actor = event.get("Actor")
            container_id = event.get("id") or (actor.get("ID") if isinstance(actor, dict) else None)
            if isinstance(container_id, str) and container_id:
                self._seen.add(container_id)
                log.info("docker container out of memory", id=container_id[:12])

    async def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
