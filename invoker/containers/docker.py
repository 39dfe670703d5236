"""The Docker container factory: action containers through the engine port (``engine``;
on Docker, ``docker_engine``).

A cold start is one call of the engine port, ``run``: three round trips to the engine (create,
attach: stdout + stderr, kept open for the container's life and read into a ``LogBuffer``,
start) in one hop off the event loop. The image's user is looked up once
per image (``docker_images``, which also pulls an action's missing image). Blackbox images (TCP
transport) cost one more: inspect, for the container's IP.

A container that does not come up raises ``images.StartupError``: a developer error when the
action's own image is at fault (cannot be pulled, no such command), else the invoker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from invoker.containers.action_client import ActionClient
from invoker.containers.docker_config import INVOKER_LABEL, DockerSettings, create_body
from invoker.containers.docker_engine import DockerEngine
from invoker.containers.docker_images import Images
from invoker.containers.docker_oom import OomWatcher, cgroup_oom_kills
from invoker.containers.docker_pids import cgroup_processes
from invoker.containers.engine import Engine, OutputStream
from invoker.containers.fifo_logs import FifoLogs, make_fifos
from invoker.containers.images import ImageState, StartupError, startup_failure
from invoker.containers.log_buffer import LogBuffer
from invoker.containers.logs import FrameDecoder, LineSplitter, rfc3339_nano
from invoker.containers.ports import ContainerSpec, ProxyResponse, Transport
from invoker.containers.proxy_calls import ProxyCalls
from invoker.containers.sockets import SOCKET_NAME, socket_dir_name
from whisk.errors import InternalError, NotFound, WhiskError

log = structlog.get_logger(__name__)

EXIT_GRACE_S = 5.0  # how long a container whose proxy vanished may take to be seen as exited
REMOVE_ATTEMPTS = 6  # 0.5 + 1 + 2 + 4 + 8 s between them: see DockerContainer._remove
REMOVE_RETRY_S = 0.5


class DockerContainer(ProxyCalls):
    def __init__(
        self,
        api: Engine,
        container_id: str,
        name: str,
        client: ActionClient,
        logs: LogBuffer,
        socket_dir: Path,
        oom: OomWatcher,
        fifos: FifoLogs | None = None,
        unix: bool = True,
    ) -> None:
        self._api = api
        self._fifos = fifos
        self._oom = oom
        self._id = container_id
        self.name = name
        self._client = client
        self._logs = logs
        self._socket_dir = socket_dir
        self._reader: asyncio.Task[None] | None = None
        self._stream: OutputStream | None = None
        self._destroyed = False
        self._proxy_lost = False
        self._sealed = not unix  # see initialize; only a Unix socket's directory is mounted
        self._processes_after_init: int | None = None  # see left_processes
        self.on_destroyed: Callable[[str], None] = lambda _id: None

    @property
    def id(self) -> str:
        return self._id

    def follow(self, stream: OutputStream) -> None:
        """Read the attach stream into the log buffer until the container's output ends."""
        self._stream = stream
        self._reader = asyncio.create_task(_pump(stream, self._logs), name=f"logs-{self.name}")

    async def initialize(self, payload: dict[str, Any], timeout_s: float) -> ProxyResponse:
        """Seal the socket directory first: the container's user owns it so that its proxy can
        create its socket there, but it is a host directory, and the action's code (which runs
        from ``/init`` on) could fill the host's disk through it or swap the socket or the log
        FIFOs. Once the socket is there, the directory is the invoker's and read-only to the
        container: the open socket and FIFOs keep working."""
        if not self._sealed:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            socket_path = self._socket_dir / SOCKET_NAME
            backoff = 0.002
            while not socket_path.exists() and loop.time() < deadline:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 0.05)
            seal_directory(self._socket_dir)
            self._sealed = True
            timeout_s = max(deadline - loop.time(), 0.001)
        response = await super().initialize(payload, timeout_s)
        if response.ok:
            self._processes_after_init = cgroup_processes(self._id)
        return response

    def left_processes(self) -> bool:
        """Whether the container holds more processes than when its /init ended: the last run
        left some behind (a miner spinning after it returned, a fork bomb that returned). Those
        would keep burning CPU and memory in a warm container until it is paused, and meet the
        next activation; the pool destroys such a container instead of keeping it. Unknown
        (the host's cgroups not visible here): False."""
        if self._processes_after_init is None:
            return False
        now = cgroup_processes(self._id)
        return now is not None and now > self._processes_after_init

    async def was_oom_killed(self) -> bool:
        """An OOM kill in the container (see ``docker_oom``), else Docker's ``OOMKilled``. After
        the proxy vanished mid-call, first wait (bounded) for the engine to record the exit: the
        connection drops before the container's state changes."""
        if self._oom.seen(self._id) or cgroup_oom_kills(self._id):
            return True
        try:
            if self._proxy_lost:
                with contextlib.suppress(InternalError):
                    await self._api.wait(self._id, timeout_s=EXIT_GRACE_S)
            state = (await self._api.inspect(self._id)).get("State") or {}
        except NotFound:
            return self._oom.seen(self._id)
        return bool(state.get("OOMKilled")) or self._oom.seen(self._id)

    async def pause(self) -> None:
        await self._api.pause(self._id)

    async def resume(self) -> None:
        await self._api.unpause(self._id)

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        try:
            await self._remove()
        finally:
            self.on_destroyed(self._id)
            self._oom.forget(self._id)
            await self.release()
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    async def _remove(self) -> None:
        """Remove the container, retried for a while: one whose PID 1 died first (a fork bomb
        under an OOM kill) is refused with a 500 (``PID ... is zombie and can not be killed``)
        until the kernel has killed the rest; given up at once, it outlived its pool."""
        delay = REMOVE_RETRY_S
        for attempt in range(REMOVE_ATTEMPTS):
            try:
                await self._api.remove(self._id)
                return
            except NotFound:
                return
            except InternalError as exc:
                if attempt == REMOVE_ATTEMPTS - 1:
                    raise
                log.info("container removal refused; retrying", id=self._id[:12], error=exc.message)
            await asyncio.sleep(delay)
            delay *= 2

    async def release(self) -> None:
        """Let go of this process's resources (HTTP session, log reader); the container stays."""
        await self._client.close()
        if self._stream is not None:
            self._stream.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._fifos is not None:
            self._fifos.close()
        self._logs.close()


def seal_directory(path: Path) -> None:
    """Make ``path`` the invoker's and read-only to everybody else (see ``initialize``)."""
    try:
        if os.geteuid() == 0:
            os.chown(path, 0, 0)
        path.chmod(0o755)
    except OSError as exc:  # e.g. already removed: the /init that follows reports it
        log.warning("could not seal a socket directory", path=str(path), error=str(exc))


def _owner(user: str) -> tuple[int, int] | None:
    """The container user's uid/gid when we may hand files to it (we run as root)."""
    uid, _, gid = user.partition(":")
    if os.geteuid() == 0 and uid.isdigit():
        return int(uid), int(gid) if gid.isdigit() else int(uid)
    return None


async def _pump(stream: OutputStream, logs: LogBuffer) -> None:
    decoder = FrameDecoder()
    splitter = LineSplitter()
    try:
        async for chunk in stream.chunks():
            now = rfc3339_nano(time.time_ns())
            for name, payload in decoder.feed(chunk):
                logs.append(splitter.feed(name, payload, now))
    except ValueError as exc:  # a framing error: keep what we have
        log.warning("bad docker attach stream", error=str(exc))
    finally:
        logs.append(splitter.flush(rfc3339_nano(time.time_ns())))
        logs.close()


class DockerFactory:
    """Makes ``DockerContainer``s. Isolated: memory, CPU, pids, capabilities, network..."""

    isolated = True

    def __init__(
        self, settings: DockerSettings | None = None, engine: Engine | None = None
    ) -> None:
        """``engine``: the Docker SDK on ``settings.host`` (or the environment's) unless given."""
        self.settings = settings or DockerSettings()
        if engine is None:
            engine = DockerEngine(
                self.settings.host,
                api_version=self.settings.api_version,
                workers=self.settings.engine_workers,
            )
        self._api = engine
        self._images = Images(engine, self.settings.default_user, self.settings.pull_timeout_s)
        self._live: dict[str, DockerContainer] = {}
        self._oom = OomWatcher(self._api, f"{INVOKER_LABEL}={self.settings.instance_label}")

    @property
    def engine(self) -> Engine:
        return self._api

    def _socket_dir(self, name: str, user: str) -> Path:
        path = Path(self.settings.runtime_dir) / socket_dir_name(name)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, mode=0o755)
        uid, _, gid = user.partition(":")
        if os.geteuid() == 0 and uid.isdigit():
            os.chown(path, int(uid), int(gid) if gid.isdigit() else int(uid))
        else:
            path.chmod(0o777)  # the proxy's user must create its socket here
        return path

    async def create(self, spec: ContainerSpec) -> DockerContainer:
        self._oom.start()
        try:
            user, image_state = await self._images.prepare(spec.image, spec.action_image)
        except WhiskError as exc:
            missing = isinstance(exc, NotFound)
            raise self._failed(spec, ImageState.PRESENT, exc, missing=missing) from exc
        socket_dir = self._socket_dir(spec.name, user)
        logs = LogBuffer()
        fifos = FifoLogs()
        if self.settings.fifo_logs and spec.transport is Transport.UNIX:
            make_fifos(socket_dir, _owner(user))
            await fifos.follow(socket_dir, logs)  # before start: the proxy opens them at once
        body = create_body(spec, self.settings, user, str(socket_dir))
        try:
            container_id, stream = await self._api.run(spec.name, body)
        except WhiskError as exc:
            fifos.close()
            shutil.rmtree(socket_dir, ignore_errors=True)
            raise self._failed(spec, image_state, exc, missing=isinstance(exc, NotFound)) from exc
        try:
            client = await self._client_for(spec, container_id, socket_dir)
        except BaseException as exc:
            stream.close()
            fifos.close()
            with contextlib.suppress(WhiskError):
                await self._api.remove(container_id)
            shutil.rmtree(socket_dir, ignore_errors=True)
            if isinstance(exc, WhiskError):
                raise self._failed(spec, image_state, exc, missing=False) from exc
            raise
        container = DockerContainer(
            self._api,
            container_id,
            spec.name,
            client,
            logs,
            socket_dir,
            self._oom,
            fifos,
            unix=spec.transport is Transport.UNIX,
        )
        container.follow(stream)
        container.on_destroyed = self._forget
        self._live[container_id] = container
        log.debug("docker container started", container=spec.name, id=container_id[:12])
        return container

    async def _client_for(
        self, spec: ContainerSpec, container_id: str, socket_dir: Path
    ) -> ActionClient:
        if spec.transport is Transport.UNIX:
            return ActionClient(
                unix_path=str(socket_dir / SOCKET_NAME), concurrency=spec.concurrency
            )
        networks = (await self._api.inspect(container_id)).get("NetworkSettings") or {}
        address = networks.get("IPAddress") or next(
            (n.get("IPAddress") for n in (networks.get("Networks") or {}).values()), ""
        )
        if not address:
            raise InternalError(f"container {spec.name} has no IP address")
        return ActionClient(host=address, port=self.settings.tcp_port, concurrency=spec.concurrency)

    def _failed(
        self, spec: ContainerSpec, state: ImageState, exc: WhiskError, *, missing: bool
    ) -> StartupError:
        """What to record for a container that did not come up (``images.startup_failure``)."""
        if missing:
            self._images.forget(spec.image)
        failure = startup_failure(spec.image, spec.action_image, state, exc.message, missing)
        log.warning(
            "docker container did not start",
            container=spec.name,
            image=spec.image,
            developer_error=failure.developer,
            error=exc.message,
        )
        return failure.error()

    def _forget(self, container_id: str) -> None:
        self._live.pop(container_id, None)

    async def remove_orphans(self, instance_label: str) -> int:
        containers = await self._api.list_by_label(INVOKER_LABEL, instance_label)
        removed = 0
        for entry in containers:
            mine = self._live.get(entry["Id"])
            if mine is not None:
                await mine.destroy()
                removed += 1
                continue
            try:
                await self._api.remove(entry["Id"])
                removed += 1
            except NotFound:
                continue
            except InternalError as exc:  # e.g. 409: its removal is already in progress
                log.warning("could not remove an orphan", container=entry["Id"], error=exc.message)
                continue
            for name in entry.get("Names") or ():
                path = Path(self.settings.runtime_dir) / socket_dir_name(name.lstrip("/"))
                shutil.rmtree(path, ignore_errors=True)
        if removed:
            log.info("removed orphan containers", label=instance_label, count=removed)
        return removed

    async def close(self) -> None:
        """Release this process's connections; containers still running stay (the pool destroys
        them, or ``remove_orphans`` on the next start)."""
        for container in list(self._live.values()):
            await container.release()
        self._live.clear()
        await self._oom.close()
        await self._api.close()
