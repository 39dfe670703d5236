"""The process container factory: the action proxy as a local subprocess. NO isolation.

For development and machines without Docker. Native actions (``--native``: an executable) run
here too, through the proxy's native mode; an action's own image (``--docker``) cannot, and its
activations end as developer errors saying so. Each "container" is
``python -m actionproxy --unix <dir>/proxy.sock`` in its own session (process group), so pause
(SIGSTOP), resume (SIGCONT) and destroy (SIGKILL) reach every process it started. Limits are
best effort, set with ``prlimit`` on the new process before it is given any code (not in a
``preexec_fn``, which is unsafe in a threaded process):

- ``RLIMIT_AS`` = memory + headroom for the interpreter (not for Node.js, whose V8 reserves far
  more address space than it uses: ``NODE_OPTIONS=--max-old-space-size`` instead; nor for
  native actions, whose programs may do the same: a Go program does not even start under it);
- ``RLIMIT_NPROC`` (counts every process of the user; root ignores it), ``RLIMIT_CPU``
  (generous: it is cumulative over the process's life), ``RLIMIT_NOFILE``.

OOM detection: an allocation over ``RLIMIT_AS`` fails inside the action (``MemoryError``), it does
not kill the process, so ``was_oom_killed`` is true only when the proxy died of a SIGKILL this
factory did not send (the kernel's OOM killer).

Orphans: each process's pid is written to ``<runtime dir>/<label>/<dir>/pid``; ``remove_orphans``
kills the groups still running an action proxy and removes the directories.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from invoker.containers.action_client import ActionClient
from invoker.containers.images import StartupError
from invoker.containers.log_buffer import LogBuffer
from invoker.containers.logs import STDERR, STDOUT, LineSplitter, rfc3339_nano
from invoker.containers.ports import ContainerSpec
from invoker.containers.proxy_calls import ProxyCalls
from invoker.containers.sockets import SOCKET_NAME, socket_dir_name
from whisk.errors import InternalError

log = structlog.get_logger(__name__)

MB = 1024 * 1024
NO_DOCKER = (
    "The action's image '{}' cannot run here: this invoker runs actions as local processes, "
    "without Docker (native actions, --native, can)."
)
EXIT_GRACE_S = 5.0
INVOKER_DIR = Path(__file__).resolve().parents[1]  # holds the actionproxy package


@dataclass(frozen=True, slots=True)
class ProcessSettings:
    instance_label: str = "invoker0"
    runtime_dir: str = "/tmp/whisk-processes"
    python: str = field(default_factory=lambda: sys.executable)
    memory_headroom_mb: int = 256  # interpreter, threads' stacks, malloc arenas
    cpu_seconds: int = 24 * 3600
    nproc: int = 4096
    nofile: int = 1024
    proxy_path: str = str(INVOKER_DIR)  # PYTHONPATH entry that makes `actionproxy` importable


def runtime_of(kind: str, native: bool = False) -> str:
    """``WHISK_RUNTIME`` for a kind: ``nodejs:20`` -> ``nodejs``; the native skeleton (``blackbox``
    of the manifest's image) -> ``native``; Python otherwise."""
    if native:
        return "native"
    return "nodejs" if kind.startswith("nodejs") else "python"


def refusal(spec: ContainerSpec) -> StartupError | None:
    """Why this factory cannot run ``spec``: an action's own Docker image needs Docker (a
    developer error on the action, as an image that cannot be pulled); None when it can."""
    if not spec.action_image:
        return None
    return StartupError(NO_DOCKER.format(spec.image), developer=True)


def apply_limits(pid: int, settings: ProcessSettings, address_space: int | None) -> None:
    if address_space is not None:
        resource.prlimit(pid, resource.RLIMIT_AS, (address_space, address_space))
    resource.prlimit(pid, resource.RLIMIT_NPROC, (settings.nproc, settings.nproc))
    resource.prlimit(pid, resource.RLIMIT_CPU, (settings.cpu_seconds, settings.cpu_seconds))
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (settings.nofile, settings.nofile))


class ProcessContainer(ProxyCalls):
    def __init__(
        self,
        process: asyncio.subprocess.Process,
        name: str,
        client: ActionClient,
        logs: LogBuffer,
        directory: Path,
    ) -> None:
        self._process = process
        self.name = name
        self._client = client
        self._logs = logs
        self._directory = directory
        self._killed_by_us = False
        self._proxy_lost = False
        self.on_destroyed: Callable[[ProcessContainer], None] = lambda _container: None
        self._destroyed = False
        self._readers = [
            asyncio.create_task(_pump(process.stdout, STDOUT, logs), name=f"stdout-{name}"),
            asyncio.create_task(_pump(process.stderr, STDERR, logs), name=f"stderr-{name}"),
        ]
        self._closer = asyncio.create_task(_close_when_done(self._readers, logs))

    @property
    def id(self) -> str:
        return str(self._process.pid)

    @property
    def pid(self) -> int:
        return self._process.pid

    def left_processes(self) -> bool:
        return False  # not isolated: nothing to tell the action's processes from others'

    async def was_oom_killed(self) -> bool:
        if self._proxy_lost and self._process.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._process.wait()), EXIT_GRACE_S)
        code = self._process.returncode
        return code == -signal.SIGKILL and not self._killed_by_us

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)

    async def pause(self) -> None:
        """SIGSTOP the group; returns once the proxy is seen stopped (signals are asynchronous)."""
        self._signal_group(signal.SIGSTOP)
        for _ in range(200):
            if _state_of(self._process.pid) in ("T", "t", "", "Z"):
                return
            await asyncio.sleep(0.005)

    async def resume(self) -> None:
        self._signal_group(signal.SIGCONT)

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        self.on_destroyed(self)
        self._killed_by_us = self._process.returncode is None
        self._signal_group(signal.SIGKILL)
        self._signal_group(signal.SIGCONT)  # a stopped group dies only once continued
        await self._client.close()
        await self._process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._closer), timeout=5)
        for task in (*self._readers, self._closer):
            task.cancel()
        shutil.rmtree(self._directory, ignore_errors=True)


async def _pump(reader: asyncio.StreamReader | None, stream: str, logs: LogBuffer) -> None:
    if reader is None:
        return
    splitter = LineSplitter()
    while chunk := await reader.read(65536):
        logs.append(splitter.feed(stream, chunk, rfc3339_nano(time.time_ns())))
    logs.append(splitter.flush(rfc3339_nano(time.time_ns())))


async def _close_when_done(readers: list[asyncio.Task[None]], logs: LogBuffer) -> None:
    try:
        await asyncio.gather(*readers, return_exceptions=True)
    finally:
        logs.close()


class ProcessFactory:
    """Makes ``ProcessContainer``s: local processes with no isolation."""

    isolated = False

    def __init__(self, settings: ProcessSettings | None = None) -> None:
        self.settings = settings or ProcessSettings()
        self._live: set[ProcessContainer] = set()
        log.warning(
            "process sandbox: actions run as local processes with NO isolation",
            runtime_dir=self.settings.runtime_dir,
        )

    def _label_dir(self, label: str) -> Path:
        return Path(self.settings.runtime_dir) / socket_dir_name(label)

    async def create(self, spec: ContainerSpec) -> ProcessContainer:
        refused = refusal(spec)
        if refused is not None:
            raise refused
        directory = self._label_dir(self.settings.instance_label) / socket_dir_name(spec.name)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, mode=0o700)
        socket_path = directory / SOCKET_NAME
        runtime = runtime_of(spec.kind, spec.native)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(directory),
            "TMPDIR": str(directory),
            "MALLOC_ARENA_MAX": "2",
            "PYTHONPATH": self.settings.proxy_path,
            "PYTHONDONTWRITEBYTECODE": "1",
            **spec.env,
            "WHISK_RUNTIME": runtime,
            "WHISK_NATIVE_EXEC": "",  # no image here: an action with no code has nothing to run
            "WHISK_CONCURRENCY": str(spec.concurrency),
        }
        address_space: int | None = (spec.memory_mb + self.settings.memory_headroom_mb) * MB
        if runtime == "nodejs":
            env["NODE_OPTIONS"] = f"--max-old-space-size={spec.memory_mb}"
            address_space = None
        elif runtime == "native":
            address_space = None
        spawn = asyncio.create_subprocess_exec(
            self.settings.python,
            "-m",
            "actionproxy",
            "--unix",
            str(socket_path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=directory,
            start_new_session=True,
        )
        try:
            process = await spawn
        except OSError as exc:
            shutil.rmtree(directory, ignore_errors=True)
            raise InternalError(f"cannot start action process {spec.name}: {exc}") from exc
        try:
            apply_limits(process.pid, self.settings, address_space)
        except OSError as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            shutil.rmtree(directory, ignore_errors=True)
            raise InternalError(f"cannot limit action process {spec.name}: {exc}") from exc
        (directory / "pid").write_text(str(process.pid))
        client = ActionClient(unix_path=str(socket_path), concurrency=spec.concurrency)
        container = ProcessContainer(process, spec.name, client, LogBuffer(), directory)
        container.on_destroyed = self._live.discard
        self._live.add(container)
        return container

    async def remove_orphans(self, instance_label: str) -> int:
        removed = await asyncio.to_thread(_kill_orphans, self._label_dir(instance_label))
        if removed:
            log.info("removed orphan action processes", label=instance_label, count=removed)
        return removed

    async def close(self) -> None:
        """Destroy the processes still running: unlike containers, they would outlive us."""
        for container in list(self._live):
            await container.destroy()


def _state_of(pid: int) -> str:
    """The state letter in /proc/<pid>/stat ("" when there is no such process)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return ""


def _kill_orphans(label_dir: Path) -> int:
    """Kill the process groups recorded under ``label_dir`` that still run an action proxy."""
    removed = 0
    for pid_file in label_dir.glob("*/pid"):
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"actionproxy" in cmdline and str(pid_file.parent).encode() in cmdline:
                os.killpg(pid, signal.SIGKILL)
                removed += 1
        shutil.rmtree(pid_file.parent, ignore_errors=True)
    return removed
