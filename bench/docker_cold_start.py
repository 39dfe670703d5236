"""Docker cold start of the container factory, against the floor of a bare create + start.

    .venv/bin/python bench/docker_cold_start.py [--runs 10] [--image IMAGE]

Measured per run, interleaved so machine noise hits every column alike:

* floor: Engine API ``create`` + ``start`` of the same image running ``sleep`` (no hardening, no
  attach, no proxy), as two raw HTTP requests on the engine's Unix socket (aiohttp, here only:
  the engine's own cost, with no client library in the way);
* factory create: ``DockerFactory.create`` (create + attach + start with every limit set);
* factory init-ready: ``create`` and then the first ``/init`` answered (the proxy booted).

The goal is ``factory create`` <= ``floor`` + 20 ms. Prints p50s in milliseconds. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from typing import Any

import aiohttp

from invoker.containers.docker import DockerFactory
from invoker.containers.docker_config import INVOKER_LABEL, DockerSettings
from invoker.containers.ports import ContainerSpec

CODE = "def main(args):\n    return {}\n"
SOCKET = "/var/run/docker.sock"


class RawEngine:
    """The floor's client: bare Engine API requests, nothing else."""

    def __init__(self) -> None:
        self._http = aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=SOCKET))

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self._http.request(method, f"http://docker/v1.41{path}", **kwargs) as answer:
            body = await answer.read()
            if answer.status >= 400:
                raise SystemExit(f"docker {method} {path}: {answer.status} {body!r}")
            return await answer.json() if body else None

    async def create(self, name: str, body: dict[str, Any]) -> str:
        created = await self._call("POST", "/containers/create", params={"name": name}, json=body)
        return str(created["Id"])

    async def start(self, container_id: str) -> None:
        await self._call("POST", f"/containers/{container_id}/start")

    async def remove(self, container_id: str) -> None:
        await self._call("DELETE", f"/containers/{container_id}", params={"force": "1"})

    async def close(self) -> None:
        await self._http.close()


async def floor_once(api: RawEngine, image: str, label: str) -> float:
    body = {
        "Image": image,
        "Entrypoint": ["sleep", "60"],
        "Cmd": [],
        "Labels": {INVOKER_LABEL: label},
        "HostConfig": {"NetworkMode": "none"},
    }
    started = time.perf_counter()
    container_id = await api.create(f"bench_floor_{uuid.uuid4().hex[:10]}", body)
    await api.start(container_id)
    elapsed = time.perf_counter() - started
    await api.remove(container_id)
    return elapsed


async def factory_once(factory: DockerFactory, image: str) -> tuple[float, float]:
    spec = ContainerSpec(
        name=f"bench_cold_{uuid.uuid4().hex[:10]}",
        kind="python:3.11",
        image=image,
        memory_mb=256,
    )
    started = time.perf_counter()
    container = await factory.create(spec)
    created = time.perf_counter() - started
    response = await container.initialize({"name": "bench", "main": "main", "code": CODE}, 60)
    ready = time.perf_counter() - started
    await container.destroy()
    if not response.ok:
        raise SystemExit(f"/init failed: {response}")
    return created, ready


async def main(runs: int, image: str) -> None:
    label = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="whisk-bench-") as runtime_dir:
        factory = DockerFactory(DockerSettings(instance_label=label, runtime_dir=runtime_dir))
        api = RawEngine()
        floors: list[float] = []
        creates: list[float] = []
        readies: list[float] = []
        try:
            await factory_once(factory, image)  # warm-up: image user lookup, connections
            await floor_once(api, image, label)
            for _ in range(runs):
                floors.append(await floor_once(api, image, label))
                created, ready = await factory_once(factory, image)
                creates.append(created)
                readies.append(ready)
        finally:
            await factory.remove_orphans(label)
            await factory.close()
            await api.close()

    def p50(values: list[float]) -> float:
        return statistics.median(values) * 1000

    print(f"image {image}, {runs} runs, p50 in ms")
    print(f"{'floor create+start':<28}{'factory create':>16}{'factory init-ready':>20}")
    print(f"{p50(floors):<28.1f}{p50(creates):>16.1f}{p50(readies):>20.1f}")
    print(f"factory create - floor: {p50(creates) - p50(floors):+.1f} ms (goal <= +20 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--image", default="whisk/action-python-v3.11:latest")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.image))
