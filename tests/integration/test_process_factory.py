"""The process factory: the real action proxy as local subprocesses (runs everywhere)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from invoker.containers.images import StartupError
from invoker.containers.logs import SENTINEL
from invoker.containers.ports import ContainerSpec
from invoker.containers.process import ProcessContainer, ProcessFactory, ProcessSettings


@pytest.fixture
def process_settings(tmp_path: Path) -> ProcessSettings:
    return ProcessSettings(
        instance_label=f"test-{uuid.uuid4().hex[:8]}", runtime_dir=str(tmp_path / "run")
    )


@pytest.fixture
async def factory(process_settings: ProcessSettings) -> AsyncIterator[ProcessFactory]:
    made = ProcessFactory(process_settings)
    try:
        yield made
    finally:
        await made.close()


def spec(**overrides: Any) -> ContainerSpec:
    values: dict[str, Any] = {
        "name": f"proc_{uuid.uuid4().hex[:10]}",
        "kind": "python:3.11",
        "image": "",
        "memory_mb": 256,
    }
    values.update(overrides)
    return ContainerSpec(**values)


async def start(factory: ProcessFactory, code: str) -> ProcessContainer:
    container = await factory.create(spec())
    init = await container.initialize({"name": "test", "main": "main", "code": code}, 30)
    assert init.ok, init
    return container


def state_of(pid: int) -> str:
    """The process state letter from /proc (R, S, T, Z...), or "" when there is no process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as dead)."""
    return state_of(pid) not in ("", "Z", "X")


async def wait_until_dead(pid: int) -> bool:
    for _ in range(200):
        if not alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


ECHO = """
import sys
def main(args):
    print("out", args.get("n"))
    print("err", args.get("n"), file=sys.stderr)
    return {"echo": args}
"""


def test_process_factory_warns_that_it_does_not_isolate(
    process_settings: ProcessSettings,
) -> None:
    with structlog.testing.capture_logs() as logs:
        made = ProcessFactory(process_settings)

    assert made.isolated is False
    assert {
        "event": "process sandbox: actions run as local processes with NO isolation",
        "log_level": "warning",
    }.items() <= logs[0].items()


async def test_process_round_trip_init_run_and_logs(factory: ProcessFactory) -> None:
    container = await start(factory, ECHO)

    first = await container.run({"value": {"n": 1}}, 30)
    first_logs = await container.logs(10_000, wait_for_sentinel=True)
    second = await container.run({"value": {"n": 2}}, 30)
    second_logs = await container.logs(10_000, wait_for_sentinel=True)

    assert json.loads(first.body) == {"echo": {"n": 1}}
    assert json.loads(second.body) == {"echo": {"n": 2}}
    assert sorted((line.stream, line.text) for line in first_logs.lines) == [
        ("stderr", "err 1"),
        ("stdout", "out 1"),
    ]
    assert sorted(line.text for line in second_logs.lines) == ["err 2", "out 2"]
    assert not any(SENTINEL in line.text for line in first_logs.lines + second_logs.lines)


async def test_process_timeout_then_destroy_kills_the_process_group(
    factory: ProcessFactory, tmp_path: Path
) -> None:
    code = """
import subprocess, time
def main(args):
    child = subprocess.Popen(["sleep", "300"])
    with open(args["pidfile"], "w") as f:
        f.write(str(child.pid))
    time.sleep(300)
    return {}
"""
    container = await start(factory, code)
    pidfile = tmp_path / "child.pid"

    response = await container.run({"value": {"pidfile": str(pidfile)}}, 1.0)
    child = int(pidfile.read_text())
    await container.destroy()

    assert response.timed_out and not response.ok
    assert await wait_until_dead(container.pid)
    assert await wait_until_dead(child)
    assert not await container.was_oom_killed()  # we killed it, not the kernel


async def test_process_pause_then_resume_serves_runs(factory: ProcessFactory) -> None:
    container = await start(factory, ECHO)

    await container.pause()
    state = state_of(container.pid)
    await container.resume()
    response = await container.run({"value": {"n": 5}}, 30)

    assert state == "T"  # stopped
    assert json.loads(response.body) == {"echo": {"n": 5}}


async def test_process_remove_orphans_kills_what_an_earlier_factory_left(
    process_settings: ProcessSettings,
) -> None:
    previous = ProcessFactory(process_settings)
    left = await previous.create(spec())
    init = await left.initialize({"name": "t", "main": "main", "code": ECHO}, 30)
    fresh = ProcessFactory(process_settings)

    removed = await fresh.remove_orphans(process_settings.instance_label)

    assert init.ok
    assert removed == 1
    assert await wait_until_dead(left.pid)
    await previous.close()


async def test_process_limits_are_applied(factory: ProcessFactory) -> None:
    code = """
import resource
def main(args):
    try:
        hog = b"x" * (600 * 1024 * 1024)
        allocated = len(hog)
    except MemoryError:
        allocated = 0
    return {
        "as": resource.getrlimit(resource.RLIMIT_AS)[0],
        "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "allocated": allocated,
    }
"""
    container = await start(factory, code)  # 256 MB + 256 MB of interpreter headroom

    response = await container.run({"value": {}}, 30)
    limits = json.loads(response.body)

    assert limits == {"as": 512 * 1024 * 1024, "nofile": [1024, 1024], "allocated": 0}
    assert not await container.was_oom_killed()


async def test_process_runs_native_actions(factory: ProcessFactory) -> None:
    # the skeleton's image (``--native``) runs as the proxy's native mode: an executable per run
    container = await factory.create(spec(kind="blackbox", image="dockerskeleton", native=True))
    script = '#!/bin/sh\necho "$GREETING $1"\necho "{\\"id\\": \\"$__OW_ACTIVATION_ID\\"}"\n'
    init = await container.initialize({"name": "n", "code": script, "env": {"GREETING": "hi"}}, 30)

    done = await container.run({"value": {"n": 1}, "activation_id": "a1"}, 30)
    logs = await container.logs(10_000, wait_for_sentinel=True)
    await container.destroy()

    assert init.ok and json.loads(done.body) == {"id": "a1"}
    assert [line.text for line in logs.lines] == ['hi {"n": 1}']


async def test_process_cuts_a_native_run_at_its_timeout(
    factory: ProcessFactory, tmp_path: Path
) -> None:
    container = await factory.create(spec(kind="blackbox", image="dockerskeleton", native=True))
    pidfile = tmp_path / "native.pid"
    script = f"#!/bin/sh\necho $$ > {pidfile}\nexec sleep 300\n"
    await container.initialize({"name": "n", "code": script}, 30)

    response = await container.run({"value": {}}, 1.0)
    pid = int(pidfile.read_text())
    await container.destroy()

    assert response.timed_out
    assert await wait_until_dead(pid)


async def test_process_refuses_an_actions_own_image(factory: ProcessFactory) -> None:
    with pytest.raises(StartupError) as refused:
        await factory.create(spec(kind="blackbox", image="me/box:1"))

    assert refused.value.developer
    assert refused.value.message == (
        "The action's image 'me/box:1' cannot run here: this invoker runs actions as local "
        "processes, without Docker (native actions, --native, can)."
    )


async def test_process_native_programs_may_reserve_address_space(factory: ProcessFactory) -> None:
    # as a Go program's runtime does at start: no RLIMIT_AS for native actions
    container = await factory.create(spec(kind="blackbox", image="dockerskeleton", native=True))
    script = (
        "#!/usr/bin/env python3\n"
        "import mmap\n"
        "reserved = mmap.mmap(-1, 4 << 30)\n"
        "print('{\"reserved\": true}')\n"
    )
    await container.initialize({"name": "n", "code": script}, 30)

    response = await container.run({"value": {}}, 30)
    await container.destroy()

    assert json.loads(response.body) == {"reserved": True}
