"""The distributed stack of docker-compose.yml, end to end over the REST API.

``scripts/compose.sh up`` builds the images and starts PostgreSQL, Kafka, one controller and two
invokers once for this module, under its own compose project, port, socket directory and
credentials file, so a developer's own stack is left alone; ``scripts/compose.sh down`` removes
it afterwards. Without a Docker engine the module is skipped on a laptop and FAILS when
``CI=true``. Caveat: the stack's invokers are ids 0 and 1, and an invoker reaps the action
containers labelled ``whisk.invoker=invoker<id>`` on the engine when it starts, so another Whisk
invoker0/invoker1 on the same engine (``whisk standalone``) must not run at the same time.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_SH = ROOT / "scripts" / "compose.sh"
PROJECT = "whisk-compose-test"
SOCKET_DIR = "/tmp/whisk-compose-test/sockets"
HELLO = 'def main(args):\n    return {"greeting": "hello " + args.get("name", "world")}\n'

# Cold builds (debootstrap bases, Java, pip) take minutes; with the images cached, ~1 minute.
pytestmark = [pytest.mark.compose, pytest.mark.timeout(1500)]


@dataclass(frozen=True, slots=True)
class Stack:
    api: str
    auth: str  # uuid:key
    prometheus: str = ""

    def headers(self, auth: str | None = None) -> dict[str, str]:
        token = base64.b64encode((auth or self.auth).encode()).decode()
        return {"Authorization": f"Basic {token}"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return False
    return info.returncode == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _compose(command: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(COMPOSE_SH), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _read_props(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not _engine_answers() and not _in_ci():
        pytest.skip("no Docker engine (start one with scripts/docker-engine.sh)")
    # Under CI=true, compose.sh starts the engine itself (scripts/docker-engine.sh) or fails.
    port, prometheus_port = _free_port(), _free_port()
    props = tmp_path_factory.mktemp("compose") / "compose.wskprops"
    env = {
        **os.environ,
        "COMPOSE_PROJECT_NAME": PROJECT,
        "WHISK_COMPOSE_PORT": str(port),
        "WHISK_COMPOSE_WSKPROPS": str(props),
        "WHISK_SOCKET_DIR": SOCKET_DIR,
        "WHISK_PROMETHEUS_PORT": str(prometheus_port),
    }
    try:
        up = _compose("up", env, timeout=1400)
        if up.returncode != 0:
            pytest.fail(
                f"scripts/compose.sh up failed ({up.returncode}):\n{up.stderr[-6000:]}",
                pytrace=False,
            )
        values = _read_props(props)
        assert values["APIHOST"] == f"http://localhost:{port}"
        assert values["NAMESPACE"] == "guest"
        yield Stack(
            f"http://127.0.0.1:{port}", values["AUTH"], f"http://127.0.0.1:{prometheus_port}"
        )
    finally:
        down = _compose("down", env, timeout=300)
    # Not reached when setup failed: a failed `up` keeps its own message.
    if down.returncode != 0:
        pytest.fail(f"scripts/compose.sh down failed:\n{down.stderr[-3000:]}", pytrace=False)


def _action_url(stack: Stack, name: str) -> str:
    return f"{stack.api}/api/v1/namespaces/_/actions/{name}"


async def _put_hello(http: aiohttp.ClientSession, stack: Stack, name: str) -> None:
    body = {"exec": {"kind": "python:3.11", "code": HELLO}}
    async with http.put(_action_url(stack, name), json=body) as resp:
        assert resp.status == 200, await resp.text()


async def test_compose_controller_answers_ping(stack: Stack) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{stack.api}/ping") as resp:
        assert resp.status == 200
        assert "pong" in await resp.text()


async def test_compose_both_invokers_report_up(stack: Stack) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{stack.api}/invokers") as resp:
        assert resp.status == 200
        assert await resp.json() == {"invoker0": "up", "invoker1": "up"}


async def test_compose_wrong_key_is_unauthorized(stack: Stack) -> None:
    wrong = stack.auth.partition(":")[0] + ":" + "x" * 64
    async with (
        aiohttp.ClientSession(headers=stack.headers(wrong)) as http,
        http.get(f"{stack.api}/api/v1/namespaces/_/actions") as resp,
    ):
        assert resp.status == 401


async def test_compose_action_create_get_list_delete(stack: Stack) -> None:
    name = f"crud-{uuid.uuid4().hex[:8]}"
    url = _action_url(stack, name)
    async with aiohttp.ClientSession(headers=stack.headers()) as http:
        await _put_hello(http, stack, name)
        async with http.get(url) as resp:
            assert resp.status == 200
            action = await resp.json()
        assert (action["name"], action["namespace"]) == (name, "guest")
        assert action["exec"]["kind"] == "python:3.11"
        assert action["exec"]["code"] == HELLO
        async with http.get(f"{stack.api}/api/v1/namespaces/_/actions?limit=200") as resp:
            assert resp.status == 200
            assert name in [entry["name"] for entry in await resp.json()]
        async with http.delete(url) as resp:
            assert resp.status == 200
        async with http.get(url) as resp:
            assert resp.status == 404


async def test_compose_blocking_invoke_returns_result_and_record(stack: Stack) -> None:
    name = f"hello-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession(headers=stack.headers()) as http:
        await _put_hello(http, stack, name)
        async with http.post(
            _action_url(stack, name), params={"blocking": "true"}, json={"name": "compose"}
        ) as resp:
            assert resp.status == 200, await resp.text()
            activation = await resp.json()
        assert activation["response"]["status"] == "success"
        assert activation["response"]["result"] == {"greeting": "hello compose"}
        record_url = f"{stack.api}/api/v1/namespaces/_/activations/{activation['activationId']}"
        async with http.get(record_url) as resp:
            assert resp.status == 200
            record = await resp.json()
        assert record["name"] == name
        assert record["response"]["result"] == {"greeting": "hello compose"}
        async with http.delete(_action_url(stack, name)) as resp:
            assert resp.status == 200


async def test_compose_prometheus_scrapes_the_controller_and_both_invokers(stack: Stack) -> None:
    wanted = {"controller0:8080", "invoker0:8085", "invoker1:8085"}
    health: dict[str, str] = {}
    async with aiohttp.ClientSession() as http:
        for _ in range(60):  # the first scrapes come within a 10 s interval
            async with http.get(f"{stack.prometheus}/api/v1/targets") as resp:
                assert resp.status == 200
                targets = (await resp.json())["data"]["activeTargets"]
            health = {t["labels"]["instance"]: t["health"] for t in targets}
            if all(health.get(target) == "up" for target in wanted):
                break
            await asyncio.sleep(1)
        assert {t: health.get(t) for t in wanted} == dict.fromkeys(wanted, "up")
        async with http.get(
            f"{stack.prometheus}/api/v1/query", params={"query": "whisk_invoker_containers"}
        ) as resp:
            series = (await resp.json())["data"]["result"]
        assert {s["metric"]["invoker"] for s in series} == {"invoker0", "invoker1"}
