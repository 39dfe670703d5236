"""Non-blocking activations per second through ``InvokerService``, against ``Invoker.run``.

    .venv/bin/python bench/invoker_service_throughput.py [--activations 500] [--user-memory 1024]
                                                         [--memory 256] [--backends process,docker]

For each backend (the process factory always; Docker when an engine answers and the runtime
image exists), with the in-process bus and the in-memory store:

* service: N non-blocking ``ActivationMessage``s of a trivial Python action are published on
  ``invoker0`` at once; *accepted/s* is N over the time until the feed committed the last
  offset, *completed/s* N over the time until the last ack arrived on ``completed0`` (each
  activation stored and acknowledged, shrunk);
* floor: the same N runs handed straight to ``Invoker.run`` on the same warm pool (no bus, no
  store, no ack), all at once: the pool's own throughput.

Both start from warm containers (user memory / action memory of them). Figures are wall time
on this machine; other work on it makes them noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
import time

from invoker.activations import run_request
from invoker.invoker import Invoker
from invoker.main import FactoryChoice, InvokerSettings, build_invoker_service, docker_answers
from invoker.pool.state import ContainerState
from whisk.bus import Consumer, topics
from whisk.bus.memory import MemoryBus
from whisk.entities.action import Action
from whisk.entities.activation import ActivationId
from whisk.entities.exec import CodeExec
from whisk.entities.limits import ActionLimits
from whisk.entities.names import FullyQualifiedName
from whisk.entities.runtimes import RuntimeManifest
from whisk.logs import configure_logging
from whisk.messages import (
    ActionRef,
    ActivationMessage,
    ControllerInstanceId,
    TransactionId,
    UserRef,
)
from whisk.store.memory import MemoryStore
from whisk.store.ports import Collection, EntityKey, Put

CODE = "def main(args):\n    return {'greeting': 'hello ' + args.get('name', 'world')}\n"
PYTHON_IMAGE = "whisk/action-python-v3.11:latest"


def message(revision: int, blocking: bool = False) -> ActivationMessage:
    now = time.time_ns() // 1_000_000
    return ActivationMessage(
        transid=TransactionId("bench", now),
        action=ActionRef(path="guest", name="bench", version="0.0.1"),
        revision=str(revision),
        user=UserRef("guest", "guest"),
        activation_id=ActivationId.new().value,
        root_controller_index=ControllerInstanceId("0"),
        blocking=blocking,
        content={"name": "bench"},
        wait_start_ms=now,
    )


async def drain_acks(acks: Consumer, count: int) -> None:
    seen = 0
    while seen < count:
        seen += len(await acks.poll(count - seen, timeout_s=5.0))


async def warm_up(invoker: Invoker, action: Action, manifest: RuntimeManifest, n: int) -> None:
    """Run ``n`` activations at once until ``n`` containers are warm."""
    while len(invoker.pool.state.in_state(ContainerState.WARM)) < n:
        runs = [run_request(message(1), action, "1", manifest) for _ in range(n)]
        await asyncio.gather(*(invoker.run(r) for r in runs))


async def measure(backend: FactoryChoice, args: argparse.Namespace) -> dict[str, float]:
    runtime_dir = tempfile.mkdtemp(prefix="wb", dir="/tmp")
    bus, store = MemoryBus(), MemoryStore()
    action = Action(
        FullyQualifiedName("guest", "bench"),
        CodeExec("python:3.11", CODE),
        limits=ActionLimits(timeout=30_000, memory=args.memory, logs=0),
    )
    await store.put(Put(Collection.ACTIONS, EntityKey("guest", "bench"), action.to_stored()))
    settings = InvokerSettings(
        instance=0,
        user_memory_mb=args.user_memory,
        factory=backend,
        stem_cells=False,
        runtime_dir=runtime_dir,
        min_action_memory_mb=args.memory,
    )
    service = await build_invoker_service(settings, bus, store)
    invoker, manifest = service.invoker, service.config.manifest
    containers = args.user_memory // args.memory
    acks = await bus.consumer(topics.completed_topic(0), topics.completed_group(0))
    producer = await bus.producer()
    out: dict[str, float] = {}
    try:
        await service.start()
        await warm_up(invoker, action, manifest, containers)
        n = args.activations

        # floor: Invoker.run on the warm pool
        requests = [run_request(message(1), action, "1", manifest) for _ in range(n)]
        started = time.perf_counter()
        await asyncio.gather(*(invoker.run(r) for r in requests))
        out["floor"] = n / (time.perf_counter() - started)

        # the service: publish all, wait for the commit of the last offset and the last ack
        group = bus.topic_log(topics.invoker_topic(0)).groups[topics.invoker_group(0)]
        base = group.committed
        payloads = [message(1).to_bytes() for _ in range(n)]
        started = time.perf_counter()
        for payload in payloads:
            await producer.send(topics.invoker_topic(0), payload)
        accepted_at: list[float] = []

        async def watch_commits() -> None:
            while group.committed < base + n:  # noqa: ASYNC110 (no event for offsets)
                await asyncio.sleep(0.001)
            accepted_at.append(time.perf_counter())

        watcher = asyncio.create_task(watch_commits())
        await drain_acks(acks, n)
        completed = time.perf_counter()
        await watcher
        out["accepted"] = n / (accepted_at[0] - started)
        out["completed"] = n / (completed - started)
        await service.drain()
    finally:
        await service.close()
        await bus.close()
        shutil.rmtree(runtime_dir, ignore_errors=True)
    return out


def docker_image_present() -> bool:
    if shutil.which("docker") is None:
        return False
    inspect = subprocess.run(
        ["docker", "image", "inspect", PYTHON_IMAGE], capture_output=True, check=False
    )
    return inspect.returncode == 0


async def main(args: argparse.Namespace) -> None:
    backends = [FactoryChoice(b) for b in args.backends.split(",")]
    print(
        f"{args.activations} non-blocking activations, "
        f"{args.user_memory // args.memory} warm containers of {args.memory} MB"
    )
    print(f"{'backend':<9} {'accepted/s':>11} {'completed/s':>12} {'floor run/s':>12}")
    for backend in backends:
        if backend is FactoryChoice.DOCKER and not (
            await docker_answers("/var/run/docker.sock") and docker_image_present()
        ):
            print(f"{'docker':<9} skipped: no engine or no {PYTHON_IMAGE}")
            continue
        r = await measure(backend, args)
        print(
            f"{backend.value:<9} {r['accepted']:>11.0f} {r['completed']:>12.0f} {r['floor']:>12.0f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activations", type=int, default=500)
    parser.add_argument("--user-memory", type=int, default=1024)
    parser.add_argument("--memory", type=int, default=256)
    parser.add_argument("--backends", default="process,docker")
    configure_logging("console", "warning")
    asyncio.run(main(parser.parse_args()))
