"""How many processes a Docker action container holds, from its cgroup (no engine call).

``cgroup.procs`` lists the container's processes (thread-group ids: a proxy's request threads
are not counted), whichever cgroup version and driver the engine uses. Read only when this
process can see the host's cgroups; otherwise the count is unknown (None).
"""

from __future__ import annotations

from invoker.containers.docker_oom import CGROUP_ROOT

_CANDIDATES = (
    "{root}/pids/docker/{id}/cgroup.procs",  # v1, cgroupfs driver
    "{root}/pids/system.slice/docker-{id}.scope/cgroup.procs",  # v1, systemd driver
    "{root}/docker/{id}/cgroup.procs",  # v2, cgroupfs driver
    "{root}/system.slice/docker-{id}.scope/cgroup.procs",  # v2, systemd driver
)


def cgroup_processes(container_id: str, root: str = CGROUP_ROOT) -> int | None:
    """The number of processes in the container's cgroup; None when it cannot be read."""
    for template in _CANDIDATES:
        try:
            with open(template.format(root=root, id=container_id)) as procs:
                return sum(1 for line in procs if line.strip())
        except OSError:
            continue
    return None
