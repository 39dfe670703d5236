"""The Docker factory against a real engine and the real runtime images.

Network checks only touch the container itself and the Docker bridge gateway (this host).
"""

from __future__ import annotations

import asyncio
import glob
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from invoker.containers.docker import DockerContainer, DockerFactory
from invoker.containers.docker_config import INVOKER_LABEL, DockerSettings
from invoker.containers.images import StartupError
from invoker.containers.logs import SENTINEL
from invoker.containers.ports import ContainerSpec, Transport
from tests.integration.conftest import NODEJS_IMAGE, PYTHON_IMAGE, SKELETON_IMAGE
from whisk.errors import NotFound

pytestmark = pytest.mark.docker


def spec(**overrides: Any) -> ContainerSpec:
    values: dict[str, Any] = {
        "name": f"wsktest_{uuid.uuid4().hex[:12]}",
        "kind": "python:3.11",
        "image": PYTHON_IMAGE,
        "memory_mb": 256,
    }
    values.update(overrides)
    return ContainerSpec(**values)


async def start(factory: DockerFactory, code: str, **overrides: Any) -> DockerContainer:
    container = await factory.create(spec(**overrides))
    init = await container.initialize({"name": "test", "main": "main", "code": code}, 30)
    assert init.ok, init
    return container


async def run(container: DockerContainer, value: dict[str, Any], timeout_s: float = 30) -> Any:
    response = await container.run({"value": value, "activation_id": "a" * 32}, timeout_s)
    assert response.ok, response
    return json.loads(response.body)


ECHO = """
import sys
def main(args):
    print("out", args.get("n"))
    print("err", args.get("n"), file=sys.stderr)
    return {"echo": args}
"""


async def test_docker_round_trip_init_run_and_logs(docker_factory: DockerFactory) -> None:
    container = await start(docker_factory, ECHO)

    assert await run(container, {"n": 1}) == {"echo": {"n": 1}}
    first = await container.logs(10_000, wait_for_sentinel=True)
    assert await run(container, {"n": 2}) == {"echo": {"n": 2}}
    second = await container.logs(10_000, wait_for_sentinel=True)

    # stdout and stderr are separate pipes: their relative order is not kept
    assert sorted((line.stream, line.text) for line in first.lines) == [
        ("stderr", "err 1"),
        ("stdout", "out 1"),
    ]
    assert sorted(line.text for line in second.lines) == ["err 2", "out 2"]
    assert not any(SENTINEL in line.text for line in first.lines + second.lines)
    assert not first.incomplete and not first.truncated


async def test_docker_logs_truncated_at_limit(docker_factory: DockerFactory) -> None:
    code = "def main(args):\n    for i in range(100):\n        print('x' * 50)\n    return {}\n"
    container = await start(docker_factory, code)

    await run(container, {})
    logs = await container.logs(500, wait_for_sentinel=True)

    assert logs.truncated
    assert logs.lines[-1].text == (
        "Logs were truncated because the total bytes size exceeds the limit of 500 bytes."
    )
    assert await run(container, {}) == {}  # the next activation starts clean
    assert (await container.logs(100_000, wait_for_sentinel=True)).lines[0].text == "x" * 50


async def test_docker_nodejs_round_trip(docker_factory: DockerFactory) -> None:
    code = (
        "function main(args) { console.log('hi', args.n); return {n: args.n + 1}; }\n"
        "exports.main = main;\n"
    )
    container = await start(docker_factory, code, kind="nodejs:20", image=NODEJS_IMAGE)

    assert await run(container, {"n": 41}) == {"n": 42}
    logs = await container.logs(10_000, wait_for_sentinel=True)
    assert [line.text for line in logs.lines] == ["hi 41"]


async def test_docker_pause_then_resume_serves_runs(docker_factory: DockerFactory) -> None:
    container = await start(docker_factory, ECHO)

    await container.pause()
    paused = await docker_factory.engine.inspect(container.id)
    await container.resume()

    assert paused["State"]["Paused"] is True
    assert (await docker_factory.engine.inspect(container.id))["State"]["Paused"] is False
    assert await run(container, {"n": 3}) == {"echo": {"n": 3}}


def entries(directory: Path) -> list[Path]:
    return list(directory.iterdir())


async def test_docker_destroy_removes_container_and_socket_dir(
    docker_factory: DockerFactory, docker_settings: DockerSettings
) -> None:
    container = await start(docker_factory, ECHO)
    await container.pause()

    await container.destroy()

    with pytest.raises(NotFound):
        await docker_factory.engine.inspect(container.id)
    assert entries(Path(docker_settings.runtime_dir)) == []


async def test_docker_remove_orphans_by_label(docker_settings: DockerSettings) -> None:
    # given containers left by an earlier invoker with our label
    previous = DockerFactory(docker_settings)
    for _ in range(2):
        await previous.create(spec())
    await previous.close()
    other = DockerFactory(DockerSettings(instance_label=f"other-{uuid.uuid4().hex[:8]}"))
    survivor = await other.create(spec())

    # when a new invoker with the same label starts
    fresh = DockerFactory(docker_settings)
    try:
        removed = await fresh.remove_orphans(docker_settings.instance_label)
        left = await fresh.engine.list_by_label(INVOKER_LABEL, docker_settings.instance_label)
        other_left = await fresh.engine.list_by_label(INVOKER_LABEL, other.settings.instance_label)
    finally:
        await survivor.destroy()
        await other.close()
        await fresh.close()

    assert removed == 2
    assert left == []
    assert [entry["Id"] for entry in other_left] == [survivor.id]


async def test_docker_memory_limit_oom_is_detected(docker_factory: DockerFactory) -> None:
    code = "def main(args):\n    hog = b'x' * (400 * 1024 * 1024)\n    return {'n': len(hog)}\n"
    container = await start(docker_factory, code, memory_mb=128)

    response = await container.run({"value": {}}, 60)

    assert not response.ok
    assert await container.was_oom_killed()


async def test_docker_oom_of_a_child_process_is_detected(docker_factory: DockerFactory) -> None:
    # the Node.js launcher is a child of the proxy: the container lives on after its OOM kill
    code = (
        "function main(args) { const hog = [];\n"
        "  for (let i = 0; i < 100; i++) hog.push(Buffer.alloc(10 * 1024 * 1024, 1));\n"
        "  return {n: hog.length}; }\n"
        "exports.main = main;\n"
    )
    container = await start(
        docker_factory, code, kind="nodejs:20", image=NODEJS_IMAGE, memory_mb=128
    )

    response = await container.run({"value": {}}, 60)

    assert not response.ok
    assert await container.was_oom_killed()


async def test_docker_healthy_container_is_not_reported_oom(docker_factory: DockerFactory) -> None:
    container = await start(docker_factory, ECHO, memory_mb=128)

    await run(container, {"n": 1})

    assert not await container.was_oom_killed()


async def test_docker_fork_bomb_contained_by_pids_limit(docker_engine: None) -> None:
    settings = DockerSettings(instance_label=f"test-{uuid.uuid4().hex[:10]}", pids_limit=32)
    factory = DockerFactory(settings)
    code = """
import os, time
def main(args):
    forked = 0
    while True:
        try:
            pid = os.fork()
        except OSError as exc:
            return {"forked": forked, "error": exc.__class__.__name__}
        if pid == 0:  # every child forks again, and never returns
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.2)
        forked += 1
"""
    try:
        container = await start(factory, code)
        response = await container.run({"value": {}}, 20)
        inspected = await factory.engine.inspect(container.id)
        await container.destroy()
        with pytest.raises(NotFound):
            await factory.engine.inspect(container.id)
    finally:
        await factory.remove_orphans(settings.instance_label)
        await factory.close()

    assert inspected["HostConfig"]["PidsLimit"] == 32
    if response.ok:  # the proxy's own fork hit the limit
        result = json.loads(response.body)
        assert result["forked"] < 32
    else:
        assert response.timed_out or response.connection_lost
    host_fork = await asyncio.create_subprocess_exec("true")
    assert await host_fork.wait() == 0  # the host can still fork


NETWORK_PROBE = """
import errno, socket, struct
def default_gateway():
    for line in open("/proc/net/route").read().splitlines()[1:]:
        fields = line.split()
        if fields[1] == "00000000":
            return socket.inet_ntoa(struct.pack("<L", int(fields[2], 16)))
    return None
def main(args):
    interfaces = sorted(name for _, name in socket.if_nameindex())
    gateway = args.get("gateway") or default_gateway()
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        probe.connect((gateway, 9))
        outcome = "connected"
    except OSError as exc:
        outcome = errno.errorcode.get(exc.errno or 0, str(exc))
    finally:
        probe.close()
    return {"interfaces": interfaces, "gateway": gateway, "outcome": outcome}
"""


async def test_docker_no_network_by_default(docker_factory: DockerFactory) -> None:
    # the bridge gateway is this host, as seen from a container that has a network
    networked = await start(docker_factory, NETWORK_PROBE, network=True)
    online = await run(networked, {})
    isolated = await start(docker_factory, NETWORK_PROBE)

    offline = await run(isolated, {"gateway": online["gateway"]})

    assert online["interfaces"] != ["lo"]  # the probe can tell the difference
    assert online["outcome"] != "ENETUNREACH"
    assert offline["interfaces"] == ["lo"]
    assert offline["outcome"] == "ENETUNREACH"


async def test_docker_read_only_root_and_writable_tmp(docker_factory: DockerFactory) -> None:
    code = """
def main(args):
    outcome = {}
    for path in ("/whisk-probe", "/tmp/whisk-probe"):
        try:
            with open(path, "w") as f:
                f.write("x")
            outcome[path] = "written"
        except OSError as exc:
            outcome[path] = exc.__class__.__name__
    root = next(line.split() for line in open("/proc/mounts") if line.split()[1] == "/")
    outcome["root_options"] = root[3].split(",")[0]
    return outcome
"""
    container = await start(docker_factory, code)

    outcome = await run(container, {})

    assert outcome["/whisk-probe"] != "written"
    assert outcome["/tmp/whisk-probe"] == "written"
    assert outcome["root_options"] == "ro"


async def test_docker_socket_directory_is_sealed_before_the_action_runs(
    docker_factory: DockerFactory,
) -> None:
    # the bind-mounted socket directory is the host's: module-level code (run by /init) must
    # not write there either
    code = """
import os
def attempt(fn):
    try:
        fn()
        return "done"
    except OSError as exc:
        return exc.__class__.__name__
def write(path):
    with open(path, "w") as f:
        f.write("x")
AT_INIT = attempt(lambda: write("/run/whisk/at-init"))
def main(args):
    return {
        "at init": AT_INIT,
        "write": attempt(lambda: write("/run/whisk/at-run")),
        "chmod": attempt(lambda: os.chmod("/run/whisk", 0o777)),
        "unlink socket": attempt(lambda: os.unlink("/run/whisk/proxy.sock")),
    }
"""
    container = await start(docker_factory, code)

    outcome = await run(container, {})

    assert outcome == dict.fromkeys(
        ("at init", "write", "chmod", "unlink socket"), "PermissionError"
    )
    assert not glob.glob(f"{docker_factory.settings.runtime_dir}/*/at-*")
    assert (await run(container, {}))["write"] == "PermissionError"  # and the proxy still answers


async def test_docker_runs_as_non_root_without_capabilities(
    docker_factory: DockerFactory,
) -> None:
    code = """
import os, resource
def main(args):
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {
        "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "uid": os.getuid(),
        "cap_eff": status["CapEff"].strip(),
        "no_new_privs": status["NoNewPrivs"].strip(),
    }
"""
    container = await start(docker_factory, code)

    identity = await run(container, {})

    assert identity["uid"] != 0
    assert identity["nofile"] == [1024, 1024]
    assert int(identity["cap_eff"], 16) == 0
    assert identity["no_new_privs"] == "1"


async def test_docker_container_limits_follow_the_spec(docker_factory: DockerFactory) -> None:
    container = await docker_factory.create(spec(memory_mb=256, labels={"whisk.action": "a"}))

    inspected = await docker_factory.engine.inspect(container.id)
    host = inspected["HostConfig"]

    assert host["Memory"] == host["MemorySwap"] == 256 * 1024 * 1024
    assert host["CpuShares"] == 256  # 1024 * 256 MB / 1024 MB of user memory
    assert host["PidsLimit"] == 256
    assert host["CapDrop"] == ["ALL"]
    assert host["NetworkMode"] == "none"
    assert inspected["Config"]["Labels"]["whisk.action"] == "a"
    assert inspected["Config"]["Labels"][INVOKER_LABEL] == docker_factory.settings.instance_label


async def test_docker_tcp_transport_for_blackbox_images(docker_factory: DockerFactory) -> None:
    # our python image listens on 8080 when run as built, like an OpenWhisk image
    container = await start(docker_factory, ECHO, transport=Transport.TCP)

    inspected = await docker_factory.engine.inspect(container.id)

    assert await run(container, {"n": 7}) == {"echo": {"n": 7}}
    assert inspected["HostConfig"]["NetworkMode"] == "bridge"
    assert sorted(line.text for line in (await container.logs(1000, True)).lines) == [
        "err 7",
        "out 7",
    ]


@pytest.fixture
def local_only_image(docker_engine: None) -> Iterator[str]:
    """The python runtime image under a name no registry has: present on this host only."""
    name = f"whisk-test/local-blackbox-{uuid.uuid4().hex[:8]}:latest"
    subprocess.run(["docker", "tag", PYTHON_IMAGE, name], check=True, capture_output=True)
    yield name
    subprocess.run(["docker", "rmi", name], check=False, capture_output=True)


async def test_docker_action_image_present_locally_runs_without_a_registry(
    docker_factory: DockerFactory, local_only_image: str
) -> None:
    container = await start(
        docker_factory, ECHO, kind="blackbox", image=local_only_image, transport=Transport.TCP
    )

    assert await run(container, {"n": 3}) == {"echo": {"n": 3}}


async def test_docker_action_image_that_cannot_be_pulled_is_the_developers_error(
    docker_factory: DockerFactory,
) -> None:
    image = f"whisk-test/no-such-image-{uuid.uuid4().hex[:8]}"

    with pytest.raises(StartupError) as raised:
        await docker_factory.create(spec(kind="blackbox", image=image, transport=Transport.TCP))

    assert raised.value.developer
    assert raised.value.message == f"Failed to pull container image '{image}'."
    assert (
        await docker_factory.engine.list_by_label(
            INVOKER_LABEL, docker_factory.settings.instance_label
        )
        == []
    )


@pytest.fixture
def skeleton_child_image(docker_engine: None, tmp_path: Path) -> Iterator[str]:
    """An image made FROM the native skeleton with its own /action/exec, as OpenWhisk's docker
    SDK makes them: a blackbox image of the developer's, run on TCP 8080."""
    name = f"whisk-test/skeleton-child-{uuid.uuid4().hex[:8]}:latest"
    (tmp_path / "exec").write_text('#!/bin/sh\necho "child log"\necho "{\\"child\\": $1}"\n')
    (tmp_path / "exec").chmod(0o755)
    (tmp_path / "Dockerfile").write_text(f"FROM {SKELETON_IMAGE}\nCOPY exec /action/exec\n")
    build = ["docker", "build", "-q", "-t", name, str(tmp_path)]
    subprocess.run(build, check=True, capture_output=True)
    yield name
    subprocess.run(["docker", "rmi", name], check=False, capture_output=True)


async def test_docker_native_skeleton_on_the_socket_and_its_children_on_tcp(
    docker_factory: DockerFactory, skeleton_child_image: str
) -> None:
    script = '#!/bin/sh\necho "native log"\necho "{\\"native\\": $1}"\n'
    native = await start(
        docker_factory, script, kind="blackbox", image=SKELETON_IMAGE, native=True
    )
    child = await docker_factory.create(
        spec(kind="blackbox", image=skeleton_child_image, transport=Transport.TCP)
    )
    child_init = await child.initialize({"name": "child", "main": "main"}, 30)  # no code

    assert await run(native, {"n": 1}) == {"native": {"n": 1}}
    assert [line.text for line in (await native.logs(1000, True)).lines] == ["native log"]
    assert child_init.ok, child_init
    assert await run(child, {"n": 2}) == {"child": {"n": 2}}
    assert [line.text for line in (await child.logs(1000, True)).lines] == ["child log"]
