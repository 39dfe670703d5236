"""The container port: what the pool needs from a place that runs an action proxy.

A factory makes containers from a ``ContainerSpec``; a container speaks OpenWhisk's runtime
protocol (``/init``, ``/run``) through ``initialize`` and ``run`` and hands back its log lines.
Two factories implement it: ``docker.DockerFactory`` (a Docker engine, through the ``engine``
port) and ``process.ProcessFactory`` (a local subprocess; no isolation, says so loudly).
``create`` raises ``images.StartupError`` when the container does not come up (a developer error
when the action's own image is at fault); anything else it raises is the invoker's failure.

Transport: the proxy listens on a Unix socket inside a directory the invoker owns and, for
Docker, bind-mounts into the container (so containers need no network). Images built for
OpenWhisk (blackbox) listen on TCP 8080 instead; ``ContainerSpec.transport`` says which. The
native skeleton (``openwhisk/dockerskeleton``, ``--native``) is our proxy: Unix socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from whisk.entities.runtimes import BLACKBOX


class Transport(StrEnum):
    UNIX = "unix"  # our runtime images and the process factory
    TCP = "tcp"  # OpenWhisk-built images (blackbox): port 8080 on the container


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """Everything needed to start one container. ``kind`` is the runtime kind (``python:3.11``)
    or ``blackbox``; ``image`` the image to run; ``memory_mb`` becomes the memory limit."""

    name: str
    kind: str
    image: str
    memory_mb: int
    network: bool = False  # no network unless the action or namespace allows it
    transport: Transport = Transport.UNIX
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    concurrency: int = 1  # runs the proxy must accept at once
    native: bool = False  # the manifest's blackbox skeleton: our proxy runs the action's executable

    @property
    def action_image(self) -> bool:
        """The action brought its own image (``--docker``): its faults are the developer's. The
        native skeleton (``--native``) is one of ours, never pulled, like a runtime image."""
        return self.kind == BLACKBOX and not self.native

    @property
    def runs_executables(self) -> bool:
        """The action's code may be an executable written at /init (any blackbox image)."""
        return self.kind == BLACKBOX


@dataclass(frozen=True, slots=True)
class ProxyResponse:
    """What ``/init`` or ``/run`` answered, or why it did not.

    ``status`` is the HTTP status (0 when no response arrived); ``body`` the raw bytes;
    ``timed_out`` true when the call was cut at its time limit; ``connection_lost`` true when the
    proxy went away mid-call (crash, OOM kill). ``size`` is the body's length; more than
    ``len(body)`` when only the body's first bytes were kept (a result over its limit).
    """

    status: int
    body: bytes
    duration_ms: int
    timed_out: bool = False
    connection_lost: bool = False
    size: int = -1  # -1: len(body)

    @property
    def full_size(self) -> int:
        return len(self.body) if self.size < 0 else self.size

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.timed_out and not self.connection_lost


@dataclass(frozen=True, slots=True)
class LogLine:
    time: str  # RFC 3339 with nanoseconds, UTC
    stream: str  # "stdout" | "stderr"
    text: str

    def formatted(self) -> str:
        """OpenWhisk's stored form: ``<time padded to 30> <stream>: <text>``."""
        return f"{self.time:<30} {self.stream}: {self.text}"


@dataclass(frozen=True, slots=True)
class CollectedLogs:
    lines: list[LogLine]
    truncated: bool = False  # the log limit was reached
    incomplete: bool = False  # sentinels not seen before the collection timed out


class Container(Protocol):
    @property
    def id(self) -> str: ...

    async def initialize(self, payload: dict[str, Any], timeout_s: float) -> ProxyResponse:
        """POST /init with ``{"value": payload}``; retried while the proxy is not yet listening,
        until ``timeout_s`` runs out."""
        ...

    async def run(
        self, payload: dict[str, Any], timeout_s: float, max_bytes: int | None = None
    ) -> ProxyResponse:
        """POST /run with ``payload`` (the full run body: value, namespace, activation_id...);
        of a body over ``max_bytes``, only the first ``max_bytes`` are kept."""
        ...

    async def logs(self, limit_bytes: int, wait_for_sentinel: bool) -> CollectedLogs:
        """The log lines written since the previous call, up to the sentinel on both streams."""
        ...

    async def was_oom_killed(self) -> bool: ...

    def left_processes(self) -> bool:
        """Whether the last run left processes running in the container (it must not be
        reused); False when that cannot be known."""
        ...

    async def pause(self) -> None: ...

    async def resume(self) -> None: ...

    async def destroy(self) -> None: ...


class ContainerFactory(Protocol):
    async def create(self, spec: ContainerSpec) -> Container: ...

    async def remove_orphans(self, instance_label: str) -> int:
        """Remove containers left by an earlier run of the invoker with this label value;
        returns how many were removed."""
        ...

    async def close(self) -> None: ...
