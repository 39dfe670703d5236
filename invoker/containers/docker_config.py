"""What a Docker action container looks like (pure): the Engine API create body for a spec.

Every container is treated as hostile: memory limit with no swap, CPU shares in proportion to its
memory, a pids limit, all capabilities dropped, no new privileges, a read-only root with a small
``/tmp`` tmpfs (``noexec``, except for blackbox actions, whose code is an executable), a
non-root user, ``nofile`` capped, and no network unless the spec allows it.
The proxy listens on a Unix socket in a host directory bind-mounted at ``/run/whisk``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from invoker.containers.ports import ContainerSpec, Transport
from invoker.containers.sockets import SOCKET_NAME

INVOKER_LABEL = "whisk.invoker"
SOCKET_MOUNT = "/run/whisk"
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DockerSettings:
    instance_label: str = "invoker0"  # value of the whisk.invoker label on every container
    user_memory_mb: int = 1024  # the pool's memory; CPU shares are a container's part of it
    host: str | None = None  # e.g. unix:///var/run/docker.sock, tcp://h:2375; None: DOCKER_HOST
    api_version: str = "auto"  # the engine's own (asked once); or pinned, e.g. "1.41"
    engine_workers: int = 4  # threads for the engine's calls (the SDK blocks)
    pull_timeout_s: float = 60.0  # pulling an action's missing image
    runtime_dir: str = "/tmp/whisk-sockets"  # one socket directory per container under it
    pids_limit: int = 256
    nofile: int = 1024
    default_user: str = "1000:1000"  # unless the image names a non-root user
    tmp_size: str = "64m"
    proxy_entrypoint: tuple[str, ...] = ("python3", "-m", "actionproxy")
    tcp_port: int = 8080  # blackbox images
    log_max_size: str = "10m"  # json-file copy kept by Docker for `docker logs` (debugging)
    fifo_logs: bool = True  # our images write logs into FIFOs in the socket dir (fifo_logs.py)

    def __post_init__(self) -> None:
        if self.user_memory_mb <= 0 or self.pids_limit <= 0 or self.nofile <= 0:
            raise ValueError("user_memory_mb, pids_limit and nofile must be positive")
        if self.engine_workers < 1 or self.pull_timeout_s <= 0:
            raise ValueError("engine_workers and pull_timeout_s must be positive")


def cpu_shares(memory_mb: int, user_memory_mb: int) -> int:
    """OpenWhisk's rule: 1024 shares for the whole pool, a container gets its memory's part."""
    return max(2, 1024 * memory_mb // user_memory_mb)


def container_user(image_user: str, default_user: str) -> str:
    """The image's own user when it is a non-root one, otherwise ``default_user``."""
    name = image_user.split(":", 1)[0]
    return default_user if name in ("", "0", "root") else image_user


def _tmp_options(spec: ContainerSpec, settings: DockerSettings) -> str:
    """Docker mounts a tmpfs ``noexec`` unless told ``exec``: blackbox actions (``--native``,
    ``--docker``) write their executable there at /init and run it."""
    exec_ = "exec," if spec.runs_executables else ""
    return f"rw,{exec_}size={settings.tmp_size},mode=1777"


def create_body(
    spec: ContainerSpec, settings: DockerSettings, user: str, socket_dir: str
) -> dict[str, Any]:
    """The body of ``POST /containers/create`` for ``spec``."""
    memory = spec.memory_mb * MB
    host_config: dict[str, Any] = {
        "Memory": memory,
        "MemorySwap": memory,
        "CpuShares": cpu_shares(spec.memory_mb, settings.user_memory_mb),
        "PidsLimit": settings.pids_limit,
        "CapDrop": ["ALL"],
        "SecurityOpt": ["no-new-privileges"],
        "ReadonlyRootfs": True,
        "Tmpfs": {"/tmp": _tmp_options(spec, settings)},
        "Ulimits": [{"Name": "nofile", "Soft": settings.nofile, "Hard": settings.nofile}],
        "NetworkMode": "bridge" if spec.network or spec.transport is Transport.TCP else "none",
        "LogConfig": {"Type": "json-file", "Config": {"max-size": settings.log_max_size}},
    }
    labels = {**spec.labels, INVOKER_LABEL: settings.instance_label}
    env = {**spec.env, "WHISK_CONCURRENCY": str(spec.concurrency)}
    body: dict[str, Any] = {
        "Image": spec.image,
        "Env": [f"{key}={value}" for key, value in env.items()],
        "Labels": labels,
        "User": user,
        "AttachStdout": True,
        "AttachStderr": True,
        "HostConfig": host_config,
    }
    if spec.transport is Transport.UNIX:
        host_config["Binds"] = [f"{socket_dir}:{SOCKET_MOUNT}"]
        body["Entrypoint"] = list(settings.proxy_entrypoint)
        body["Cmd"] = ["--unix", f"{SOCKET_MOUNT}/{SOCKET_NAME}"]
        if settings.fifo_logs:
            body["Cmd"] += ["--log-dir", SOCKET_MOUNT]
    else:
        body["ExposedPorts"] = {f"{settings.tcp_port}/tcp": {}}
    return body
