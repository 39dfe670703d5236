"""Warm-run and stem-cell-start latency of ``Invoker.run``, against their floors.

    .venv/bin/python bench/invoker_warm_run.py [--runs 200] [--starts 5] [--backends process,docker]

For each backend (the process factory always; Docker when an engine answers and the runtime
image exists):

* warm run: ``Invoker.run`` of a trivial Python action on a warm container, p50/p99, next to
  the floor: a raw ``POST /run`` of the same body to the same container over the same transport
  (the container port's ``run``, i.e. the same keep-alive Unix-socket client), without the
  pool, log collection or the activation record;
* stem-cell start: the first result from a prewarmed container (``/init`` + ``/run`` through
  ``Invoker.run``), next to the floor of raw ``/init`` + ``/run`` on a freshly created container
  that was given time to start.

Warm runs and their floor alternate in blocks of ``BLOCK`` runs, so that both see the same
machine: on this 2-core VM the floor alone drifts between 0.35 and 0.65 ms from minute to minute.
Figures are milliseconds of wall time on this machine; other work on it makes them noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from invoker.containers.ports import ContainerFactory, ContainerSpec
from invoker.invoker import Invoker
from invoker.pool.config import PoolConfig, StemCellSpec
from invoker.pool.pool import ContainerPool
from invoker.pool.protocol import run_payload
from invoker.pool.requests import ExecSpec, RunLimits, RunRequest
from invoker.pool.state import ContainerState
from whisk.entities.activation import ActivationId
from whisk.logs import configure_logging

CODE = "def main(args):\n    return {'greeting': 'hello ' + args.get('name', 'world')}\n"
PYTHON_IMAGE = "whisk/action-python-v3.11:latest"
BLOCK = 50  # warm runs and floor runs alternate in blocks of this many


def request(image: str, action: str = "guest/bench") -> RunRequest:
    return RunRequest(
        activation_id=ActivationId.new(),
        transaction_id="bench",
        namespace="guest",
        subject="guest",
        action=action,
        version="0.0.1",
        revision="1",
        exec=ExecSpec(kind="python:3.11", image=image, code=CODE),
        limits=RunLimits(timeout_ms=30_000, memory_mb=256),
        wait_start_ms=0,
        params={"name": "bench"},
    )


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def timed(n: int, step: Callable[[], Awaitable[Any]]) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await step()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def row(backend: str, what: str, figures: list[float], floor: list[float]) -> str:
    ratio = statistics.median(figures) / statistics.median(floor)
    return (
        f"{backend:<8} {what:<16} {statistics.median(figures):>8.2f} "
        f"{percentile(figures, 99):>8.2f} {statistics.median(floor):>10.2f} "
        f"{percentile(floor, 99):>10.2f} {ratio:>9.2f}x"
    )


async def bench_backend(
    name: str, factory: ContainerFactory, image: str, runs: int, starts: int
) -> list[str]:
    cell = StemCellSpec(kind="python:3.11", image=image, memory_mb=256, count=1)
    config = PoolConfig(
        user_memory_mb=2048,
        stem_cells=(cell,),
        pause_grace_s=None,
        name_prefix=f"wskbench{uuid.uuid4().hex[:6]}",
        instance_label=f"bench{uuid.uuid4().hex[:6]}",
    )
    pool = ContainerPool(factory, config)
    invoker = Invoker(pool)
    try:
        await pool.start()

        # stem-cell starts: each takes the prewarmed container, for a new action each time
        stem: list[float] = []
        for i in range(starts):
            await pool.wait_until(lambda s: bool(s.in_state(ContainerState.PREWARMED)))
            # "prewarmed" means created; give its proxy the same second to listen as the floor
            await asyncio.sleep(1.0)
            req = request(image, action=f"guest/stem{i}")
            started = time.perf_counter()
            activation = await invoker.run(req)
            stem.append((time.perf_counter() - started) * 1000)
            assert activation.annotation("initTime") is not None, activation

        # floor of a stem-cell start: raw /init + /run on a started container
        stem_floor: list[float] = []
        for i in range(starts):
            spec = ContainerSpec(f"{config.name_prefix}_floor{i}", "python:3.11", image, 256)
            container = await factory.create(spec)
            await asyncio.sleep(1.0)  # let the proxy start: a stem cell is already listening
            started = time.perf_counter()
            init = await container.initialize({"name": "x", "main": "main", "code": CODE}, 30)
            ran = await container.run({"value": {"name": "bench"}}, 30)
            stem_floor.append((time.perf_counter() - started) * 1000)
            await container.destroy()
            assert init.ok and ran.ok, (init, ran)

        # warm runs
        warm_req = request(image)
        first = await invoker.run(warm_req)
        cid = next(c.id for c in pool.state.containers.values() if c.action == warm_req.key)
        assert first.response is not None and first.response.success, first
        await timed(20, lambda: invoker.run(request(image)))  # warm-up

        # floor: raw POST /run to the same container, same transport, the same body the pool
        # sends (the run context becomes __OW_* variables in the proxy: part of the floor)
        handle = pool.container(cid)

        def raw_run() -> Awaitable[Any]:
            req = request(image)
            return handle.run(run_payload(req, int(time.time() * 1000) + 30_000), 30)

        # interleaved in short blocks, so that both see the same machine (it drifts)
        warm: list[float] = []
        warm_floor: list[float] = []
        for _ in range(max(1, runs // BLOCK)):
            warm += await timed(BLOCK, lambda: invoker.run(request(image)))
            warm_floor += await timed(BLOCK, raw_run)
        return [
            row(name, "warm run", warm, warm_floor),
            row(name, "stem-cell start", stem, stem_floor),
        ]
    finally:
        await pool.drain()
        await factory.close()


def docker_ready() -> bool:
    if shutil.which("docker") is None:
        return False
    info = subprocess.run(["docker", "info"], capture_output=True, check=False)
    image = subprocess.run(["docker", "image", "inspect", PYTHON_IMAGE], capture_output=True)
    return info.returncode == 0 and image.returncode == 0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--backends", default="process,docker")
    args = parser.parse_args()
    configure_logging("console", "warning")

    lines = []
    backends = args.backends.split(",")
    if "process" in backends:
        from invoker.containers.process import ProcessFactory, ProcessSettings

        runtime_dir = tempfile.mkdtemp(prefix="wb", dir="/tmp")
        try:
            factory = ProcessFactory(ProcessSettings(runtime_dir=runtime_dir))
            lines += await bench_backend("process", factory, "unused", args.runs, args.starts)
        finally:
            shutil.rmtree(runtime_dir, ignore_errors=True)
    if "docker" in backends:
        if docker_ready():
            from invoker.containers.docker import DockerFactory
            from invoker.containers.docker_config import DockerSettings

            runtime_dir = tempfile.mkdtemp(prefix="wb", dir="/tmp")
            try:
                settings = DockerSettings(instance_label="bench", runtime_dir=runtime_dir)
                factory = DockerFactory(settings)
                lines += await bench_backend(
                    "docker", factory, PYTHON_IMAGE, args.runs, args.starts
                )
            finally:
                shutil.rmtree(runtime_dir, ignore_errors=True)
        else:
            lines.append(f"docker   (skipped: no engine or no {PYTHON_IMAGE} image)")

    header = ("backend", "measure", "p50 ms", "p99 ms", "floor p50", "floor p99", "p50/floor")
    print("{:<8} {:<16} {:>8} {:>8} {:>10} {:>10} {:>10}".format(*header))
    for line in lines:
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
