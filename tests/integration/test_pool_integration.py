"""The container pool and the invoker against real container factories.

Every test runs on the process factory (works everywhere) and on Docker (marked ``docker``:
skipped on a laptop without an engine, failing when ``CI=true``). Time never decides a test:
idle reaping and pausing use a hand-moved clock and ``ContainerPool.housekeep()``.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from invoker.containers.ports import ContainerFactory
from invoker.containers.process import ProcessFactory, ProcessSettings
from invoker.invoker import Invoker
from invoker.pool.config import PoolConfig, StemCellSpec
from invoker.pool.pool import ContainerPool
from invoker.pool.requests import ExecSpec, RunLimits, RunRequest
from invoker.pool.runs import StartKind
from invoker.pool.state import ContainerState, PoolState
from tests.integration.conftest import NODEJS_IMAGE, PYTHON_IMAGE
from whisk.entities.activation import ActivationId, StatusCode

ECHO = """
import sys
def main(args):
    print("hello", args.get("name"))
    print("to stderr", file=sys.stderr)
    return {"echo": args}
"""
SLEEPY = "import time\ndef main(args):\n    time.sleep(30)\n    return {}\n"
APP_ERROR = "def main(args):\n    return {'error': 'bad input'}\n"
LARGE = "def main(args):\n    return {'big': 'x' * 5000}\n"
EXIT = "import os\ndef main(args):\n    os._exit(3)\n"
INIT_FAILS = "raise ValueError('no import for you')\n"
TOGETHER = """
import threading
lock = threading.Lock()
seen = [0]
both = threading.Event()
def main(args):
    with lock:
        seen[0] += 1
        if seen[0] == 2:
            both.set()
    return {"together": both.wait(20)}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    name: str
    factory: ContainerFactory
    image: str


@pytest.fixture
def short_dir() -> Iterator[str]:
    path = tempfile.mkdtemp(prefix="wp", dir="/tmp")  # Unix socket paths must stay short
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def process_backend(short_dir: str) -> AsyncIterator[Backend]:
    settings = ProcessSettings(instance_label=f"t{uuid.uuid4().hex[:8]}", runtime_dir=short_dir)
    factory = ProcessFactory(settings)
    yield Backend("process", factory, "unused")
    await factory.remove_orphans(settings.instance_label)
    await factory.close()


@pytest.fixture(params=["process", pytest.param("docker", marks=pytest.mark.docker)])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "process":
        return request.getfixturevalue("process_backend")
    return Backend("docker", request.getfixturevalue("docker_factory"), PYTHON_IMAGE)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_pool(backend: Backend, clock: Clock) -> AsyncIterator[Any]:
    pools: list[ContainerPool] = []

    def make(**overrides: Any) -> ContainerPool:
        values: dict[str, Any] = {
            "user_memory_mb": 1024,
            "pause_grace_s": None,
            "idle_timeout_s": 600.0,
            "housekeeping_interval_s": 3600.0,  # tests call housekeep() themselves
            "name_prefix": f"wsk{uuid.uuid4().hex[:8]}",
        }
        values.update(overrides)
        pool = ContainerPool(backend.factory, PoolConfig(**values), clock=clock)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        await pool.drain()


def make_request(backend: Backend, code: str = ECHO, **overrides: Any) -> RunRequest:
    """A run of guest/hello (python:3.11, 256 MB, 20 s) with sensible defaults."""
    limits = overrides.pop("limits", RunLimits(timeout_ms=20_000, memory_mb=256))
    values: dict[str, Any] = {
        "activation_id": ActivationId.new(),
        "transaction_id": "tid-test",
        "namespace": "guest",
        "subject": "guest",
        "action": overrides.pop("action", "guest/hello"),
        "version": "0.0.1",
        "revision": "1",
        "exec": ExecSpec(kind="python:3.11", image=backend.image, code=code),
        "limits": limits,
        "wait_start_ms": 0,
        "params": {"name": "world"},
    }
    values.update(overrides)
    return RunRequest(**values)


def only_containers(state: PoolState) -> list[str]:
    return sorted(state.containers)


# -- warm reuse, stem cells -------------------------------------------------------------------


async def test_pool_reuses_warm_container_without_init(backend: Backend, make_pool: Any) -> None:
    invoker = Invoker(make_pool())
    first = await invoker.run(make_request(backend))
    second = await invoker.run(make_request(backend))

    assert first.response is not None and first.response.success
    assert first.response.result == {"echo": {"name": "world"}}
    assert first.annotation("initTime") is not None
    assert second.annotation("initTime") is None
    assert only_containers(invoker.pool.state) == ["c1"]
    assert any("hello world" in line for line in second.logs)
    assert [a["key"] for a in second.annotations] == [
        "path",
        "waitTime",
        "kind",
        "timeout",
        "limits",
    ]
    assert second.annotation("limits") == {
        "timeout": 20000,
        "memory": 256,
        "logs": 10,
        "concurrency": 1,
    }


async def test_pool_takes_stem_cell_and_starts_a_replacement(
    backend: Backend, make_pool: Any
) -> None:
    cell = StemCellSpec(kind="python:3.11", image=backend.image, memory_mb=256, count=1)
    pool = make_pool(stem_cells=(cell,))
    await pool.start()
    await pool.wait_until(lambda s: bool(s.in_state(ContainerState.PREWARMED)))
    (stem_id,) = [c.id for c in pool.state.in_state(ContainerState.PREWARMED)]

    outcome = await pool.run(make_request(backend))

    assert outcome.response.success
    assert (outcome.container_id, outcome.start) == (stem_id, StartKind.PREWARMED)
    assert outcome.init_time_ms is not None
    await pool.wait_until(
        lambda s: any(c.id != stem_id for c in s.in_state(ContainerState.PREWARMED))
    )


async def test_pool_starts_stem_cell_once_a_reaped_container_frees_its_memory(
    backend: Backend, make_pool: Any, clock: Clock
) -> None:
    # the only stem cell needs the whole pool: a smaller cold container evicts it; when that
    # container is reaped, its memory brings the stem cell back (no other event triggers it)
    cell = StemCellSpec(kind="python:3.11", image=backend.image, memory_mb=256, count=1)
    pool = make_pool(user_memory_mb=256, stem_cells=(cell,), idle_timeout_s=60.0)
    await pool.start()
    await pool.wait_until(lambda s: bool(s.in_state(ContainerState.PREWARMED)))

    small = RunLimits(timeout_ms=20_000, memory_mb=128)
    outcome = await pool.run(make_request(backend, limits=small))
    assert outcome.response.success and outcome.start is StartKind.COLD
    assert not pool.state.in_state(ContainerState.STARTING, ContainerState.PREWARMED)

    clock.now += 61
    pool.housekeep()
    await pool.wait_until(
        lambda s: (
            outcome.container_id not in s.containers and bool(s.in_state(ContainerState.PREWARMED))
        )
    )


# -- memory, reaping, pausing -----------------------------------------------------------------


async def test_pool_evicts_idle_container_when_memory_is_short(
    backend: Backend, make_pool: Any
) -> None:
    pool = make_pool(user_memory_mb=256)
    first = await pool.run(make_request(backend, action="guest/first"))
    second = await pool.run(make_request(backend, action="guest/second"))

    assert first.response.success and second.response.success
    assert second.start is StartKind.COLD
    await pool.wait_until(lambda s: list(s.containers) == [second.container_id])


async def test_pool_reaps_idle_containers_after_timeout(
    backend: Backend, make_pool: Any, clock: Clock
) -> None:
    pool = make_pool(idle_timeout_s=60.0)
    await pool.run(make_request(backend))
    pool.housekeep()
    assert only_containers(pool.state) == ["c1"]  # not idle long enough

    clock.now += 61
    pool.housekeep()
    await pool.wait_until(lambda s: not s.containers)


async def test_pool_pauses_idle_container_and_resumes_it_for_a_run(
    backend: Backend, make_pool: Any, clock: Clock
) -> None:
    pool = make_pool(pause_grace_s=5.0)
    await pool.run(make_request(backend))
    clock.now += 6
    pool.housekeep()
    assert pool.state.get("c1").state is ContainerState.PAUSED

    outcome = await pool.run(make_request(backend))
    assert outcome.response.success
    assert (outcome.container_id, outcome.start) == ("c1", StartKind.WARM)


# -- failures ---------------------------------------------------------------------------------


async def test_pool_timeout_kills_container(backend: Backend, make_pool: Any) -> None:
    invoker = Invoker(make_pool())
    limits = RunLimits(timeout_ms=1000, memory_mb=256)
    activation = await invoker.run(make_request(backend, SLEEPY, limits=limits))

    assert activation.response is not None
    assert activation.response.status_code is StatusCode.DEVELOPER_ERROR
    assert activation.response.result == {
        "error": "The action exceeded its time limits of 1000 milliseconds."
    }
    assert activation.annotation("timeout") is True
    assert activation.logs[-1].endswith(
        "stderr: The action did not initialize or run as expected. Log data might be missing."
    )
    await invoker.pool.wait_until(lambda s: not s.containers)


async def test_pool_application_error_keeps_container_warm(
    backend: Backend, make_pool: Any
) -> None:
    pool = make_pool()
    first = await pool.run(make_request(backend, APP_ERROR))
    second = await pool.run(make_request(backend, APP_ERROR))

    assert first.response.status_code is StatusCode.APPLICATION_ERROR
    assert first.response.result == {"error": "bad input"}
    assert (second.container_id, second.start) == (first.container_id, StartKind.WARM)


async def test_pool_removes_a_docker_container_its_run_left_processes_in(
    backend: Backend, make_pool: Any
) -> None:
    # a miner left spinning after the action returned: the record stays a success, the
    # container is not kept warm (its processes would run on, and meet the next activation)
    if backend.name != "docker":
        pytest.skip("only a container's cgroup tells the run's processes apart")
    code = (
        "import os, subprocess\n"
        "def main(args):\n"
        "    if args.get('leave'):\n"
        "        subprocess.Popen(['sleep', '600'])\n"
        "    else:\n"
        "        subprocess.run(['true'], check=True)\n"
        "    return {'leave': bool(args.get('leave'))}\n"
    )
    pool = make_pool()
    tidy = await pool.run(make_request(backend, code))
    again = await pool.run(make_request(backend, code))
    messy = await pool.run(make_request(backend, code, params={"leave": True}))
    after = await pool.run(make_request(backend, code))

    assert tidy.response.result == {"leave": False}
    assert (again.container_id, again.start) == (tidy.container_id, StartKind.WARM)
    assert messy.response.success and messy.response.result == {"leave": True}
    assert messy.container_id == tidy.container_id
    assert after.container_id != messy.container_id and after.start is StartKind.COLD


async def test_pool_python_exception_is_an_application_error_with_its_text(
    backend: Backend, make_pool: Any
) -> None:
    # OpenWhisk's Python launcher answers {"error": str(exc)} and prints the traceback
    pool = make_pool()
    code = "def main(args):\n    raise KeyError('missing')\n"
    outcome = await pool.run(make_request(backend, code))

    assert outcome.response.status_code is StatusCode.APPLICATION_ERROR
    assert outcome.response.result == {"error": "'missing'"}
    assert any("KeyError" in line for line in outcome.logs)


async def test_pool_nodejs_throw_is_a_developer_error_with_openwhisk_text(
    backend: Backend, make_pool: Any
) -> None:
    if backend.name == "process" and shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    pool = make_pool()
    code = "exports.main = () => { throw new RangeError('too far'); };\n"
    request = make_request(backend, code)
    image = NODEJS_IMAGE if backend.name == "docker" else backend.image
    request = replace(request, exec=replace(request.exec, kind="nodejs:20", image=image))
    outcome = await pool.run(request)

    assert outcome.response.status_code is StatusCode.DEVELOPER_ERROR
    assert outcome.response.result == {"error": "An error has occurred: RangeError: too far"}


async def test_pool_large_result_becomes_application_error(
    backend: Backend, make_pool: Any
) -> None:
    pool = make_pool(max_result_bytes=1000)
    outcome = await pool.run(make_request(backend, LARGE))

    assert outcome.response.status_code is StatusCode.APPLICATION_ERROR
    message = outcome.response.result["error"]
    assert message.startswith("The action produced a response that exceeded the allowed length: ")
    assert "> 1000 bytes. The truncated response was: {" in message
    assert pool.state.get(outcome.container_id).state is ContainerState.WARM


async def test_pool_exit_mid_run_is_developer_error(backend: Backend, make_pool: Any) -> None:
    pool = make_pool()
    outcome = await pool.run(make_request(backend, EXIT))

    assert outcome.response.status_code is StatusCode.DEVELOPER_ERROR
    assert outcome.response.result == {
        "error": "The action did not produce a valid response and exited unexpectedly."
    }
    await pool.wait_until(lambda s: not s.containers)


async def test_pool_init_failure_is_developer_error_and_destroys_container(
    backend: Backend, make_pool: Any
) -> None:
    pool = make_pool()
    outcome = await pool.run(make_request(backend, INIT_FAILS))

    assert outcome.response.status_code is StatusCode.DEVELOPER_ERROR
    assert outcome.init_time_ms is not None
    await pool.wait_until(lambda s: not s.containers)


# -- concurrency, draining --------------------------------------------------------------------


async def test_pool_concurrent_runs_share_a_container(backend: Backend, make_pool: Any) -> None:
    pool = make_pool()
    limits = RunLimits(timeout_ms=30_000, memory_mb=256, concurrency=2)
    first, second = await asyncio.gather(
        pool.run(make_request(backend, TOGETHER, limits=limits)),
        pool.run(make_request(backend, TOGETHER, limits=limits)),
    )

    assert first.response.result == {"together": True}
    assert second.response.result == {"together": True}
    assert first.container_id == second.container_id
    assert {first.start, second.start} == {StartKind.COLD, StartKind.WARMING}


async def test_pool_queues_runs_in_order_when_memory_is_busy(
    backend: Backend, make_pool: Any
) -> None:
    pool = make_pool(user_memory_mb=256)
    outcomes = await asyncio.gather(*(pool.run(make_request(backend)) for _ in range(3)))

    assert all(o.response.success for o in outcomes)
    assert {o.container_id for o in outcomes} == {"c1"}


async def test_pool_drain_destroys_everything_and_refuses_runs(
    backend: Backend, make_pool: Any
) -> None:
    pool = make_pool()
    await pool.run(make_request(backend))
    await pool.drain()

    assert not pool.state.containers
    invoker = Invoker(pool)
    refused = await invoker.run(make_request(backend))
    assert refused.response is not None
    assert refused.response.status_code is StatusCode.WHISK_ERROR


async def test_invoker_records_wait_time_from_controller_receipt(
    backend: Backend, make_pool: Any
) -> None:
    invoker = Invoker(make_pool())
    request = make_request(backend)
    request = replace(request, wait_start_ms=1, cause=ActivationId.new())
    activation = await invoker.run(request)

    assert activation.annotation("waitTime") == activation.start - 1
    assert activation.cause == request.cause
    assert (activation.namespace, activation.name, activation.annotation("path")) == (
        "guest",
        "hello",
        "guest/hello",
    )
