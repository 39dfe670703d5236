"""One action run once, outside the pool: the invoker's public entry for ``whisk action run
--local``.

``run_action_once`` picks the container factory (the runtime image through the Docker factory
when an engine answers and has the image, else a local process, which has no isolation), starts
one fresh container, posts /init with the code and /run with the parameters (the bodies are the
pool's, ``invoker.pool.protocol``), collects the logs up to the sentinels, judges the outcome by
the pool's rules (``invoker.pool.outcomes``) and destroys the container. Progress goes to the
caller's ``progress`` callback as it happens; the result and the logs come back in ``LocalRun``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from invoker.containers.docker import DockerFactory
from invoker.containers.docker_config import DockerSettings
from invoker.containers.ports import CollectedLogs, Container, ContainerFactory, ContainerSpec
from invoker.containers.process import ProcessFactory, ProcessSettings
from invoker.main import docker_answers, missing_images
from invoker.pool.outcomes import init_outcome, run_outcome
from invoker.pool.protocol import init_payload, run_payload
from invoker.pool.requests import ExecSpec, RunLimits, RunRequest
from whisk.entities.activation import ActivationId, ActivationResponse
from whisk.entities.runtimes import RuntimeKind
from whisk.errors import InvalidArgument

NAMESPACE = "local"
VERSION = "0.0.1"
TIMEOUT_MS = 60_000
MEMORY_MB = 256
LOG_LIMIT = 10 * 1024 * 1024
MAX_RESULT_BYTES = 5 * 1024 * 1024

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LocalAction:
    """What to run: the code as /init wants it (base64 when ``binary``), its runtime and entry
    point. It runs as ``/local/<name>``."""

    name: str
    code: str
    binary: bool
    runtime: RuntimeKind
    main: str = "main"

    @property
    def family(self) -> str:
        return "nodejs" if self.runtime.family == "nodejs" else "python"


@dataclass(frozen=True, slots=True)
class LocalRun:
    response: ActivationResponse
    logs: CollectedLogs
    init_ms: int
    run_ms: int  # 0 when /init failed and /run was not called


def request_of(
    action: LocalAction, params: dict[str, Any], activation_id: ActivationId
) -> RunRequest:
    """The run request the pool would build for this action (pure)."""
    return RunRequest(
        activation_id=activation_id,
        transaction_id=str(activation_id),
        namespace=NAMESPACE,
        subject=NAMESPACE,
        action=f"{NAMESPACE}/{action.name}",
        version=VERSION,
        revision=VERSION,
        exec=ExecSpec(
            kind=action.runtime.kind,
            image=action.runtime.image,
            code=action.code,
            binary=action.binary,
            main=action.main,
            sentinelled_logs=bool(action.runtime.raw.get("sentinelledLogs", True)),
        ),
        limits=RunLimits(timeout_ms=TIMEOUT_MS, memory_mb=MEMORY_MB),
        wait_start_ms=_now_ms(),
        params=params,
    )


async def docker_ready(image: str) -> str | None:
    """None when the engine (DOCKER_HOST, the docker context or the local socket) answers
    and has ``image``; else why not."""
    if not await docker_answers(None):
        return "no Docker engine answers"
    if await missing_images(None, [image]):
        return f"image {image} is not available"
    return None


async def make_factory(
    image: str, docker: bool | None, runtime_dir: str, progress: Progress
) -> tuple[ContainerFactory, str]:
    """The factory to use and how to describe it: ``docker`` True insists on Docker, False
    takes a process, None takes Docker when it is ready."""
    if docker is not False:
        problem = await docker_ready(image)
        if problem is None:
            settings = DockerSettings(
                instance_label=f"whisk-local-{os.getpid()}",
                runtime_dir=runtime_dir,
            )
            return DockerFactory(settings), f"docker image {image}"
        if docker:
            raise InvalidArgument(
                f"--docker: {problem}. Start one with scripts/docker-engine.sh and build the "
                "images with scripts/build-images.sh, or use --no-docker."
            )
        progress(f"docker: {problem}; running as a local process instead")
    process = ProcessSettings(instance_label="whisk-local", runtime_dir=runtime_dir)
    return ProcessFactory(process), "process sandbox: no isolation"


async def run_action_once(
    action: LocalAction, params: dict[str, Any], docker: bool | None, progress: Progress
) -> LocalRun:
    """One cold run in a fresh container, removed afterwards."""
    runtime_dir = tempfile.mkdtemp(prefix="whisk-local-")
    factory: ContainerFactory | None = None
    try:
        factory, described = await make_factory(action.runtime.image, docker, runtime_dir, progress)
        progress(f"starting {action.family} runtime ({described})")
        request = request_of(action, params, ActivationId.new())
        spec = ContainerSpec(
            name=f"whisk_local_{str(request.activation_id)[:12]}",
            kind=request.kind,
            image=request.exec.image,
            memory_mb=request.memory_mb,
        )
        container = await factory.create(spec)
        try:
            return await _exercise(container, request, progress)
        finally:
            await container.destroy()
    finally:
        if factory is not None:
            await factory.close()
        shutil.rmtree(runtime_dir, ignore_errors=True)


async def _exercise(container: Container, request: RunRequest, progress: Progress) -> LocalRun:
    timeout_ms = request.limits.timeout_ms
    progress(f"initializing {request.name} (kind {request.kind}, main {request.exec.main})")
    init = await container.initialize(
        init_payload(request, _now_ms() + timeout_ms), timeout_ms / 1000
    )
    response = init_outcome(init, timeout_ms)
    run_ms = 0
    if response is None:
        progress("running")
        answer = await container.run(
            run_payload(request, _now_ms() + timeout_ms), timeout_ms / 1000
        )
        response = run_outcome(answer, timeout_ms, MAX_RESULT_BYTES)
        run_ms = answer.duration_ms
    wait_for_sentinel = request.exec.sentinelled_logs and not response.is_container_error
    logs = await container.logs(LOG_LIMIT, wait_for_sentinel)
    return LocalRun(response, logs, init.duration_ms, run_ms)


def _now_ms() -> int:
    return int(time.time() * 1000)
