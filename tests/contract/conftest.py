"""Fixtures of the runtime contract suite: proxies to test, as local processes or containers.

Every test runs against each target: the action proxy as a local process (python, and nodejs
when ``node`` is on PATH) and each runtime image in Docker (``@pytest.mark.docker``; needs an
engine and the images from scripts/docker-engine.sh and scripts/build-images.sh: skipped on a
laptop without them, failed when CI=true).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

REPO = Path(__file__).resolve().parents[2]
SENTINEL = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"
IMAGES = {
    "python": "whisk/action-python-v3.11:latest",
    "nodejs": "whisk/action-nodejs-v20:latest",
    "native": "openwhisk/dockerskeleton:latest",  # test_native_contract.py
}
CONTAINER_SOCKET_DIR = "/run/whisk"


def skip_or_fail(reason: str) -> None:
    """Missing service: skip on a laptop, fail in CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


class ProxyClient:
    """A minimal aiohttp client for the runtime protocol over a Unix socket, keep-alive."""

    def __init__(self, socket_path: Path, connections: int = 8) -> None:
        self.socket_path = socket_path
        connector = aiohttp.UnixConnector(path=str(socket_path), limit=connections)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=60)
        )

    async def post(self, route: str, body: object) -> tuple[int, Any]:
        async with self._session.post(f"http://action{route}", json=body) as response:
            return response.status, await response.json(content_type=None)

    async def post_raw(self, route: str, data: bytes) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        async with self._session.post(f"http://action{route}", data=data, headers=headers) as r:
            return r.status, await r.json(content_type=None)

    async def init(self, code: str, main: str = "main", **value: Any) -> tuple[int, Any]:
        return await self.post(
            "/init",
            {"value": {"name": "action", "main": main, "code": code, "binary": False, **value}},
        )

    async def run(self, value: Any = None, **context: Any) -> tuple[int, Any]:
        return await self.post("/run", {"value": {} if value is None else value, **context})

    async def wait_until_listening(self, attempts: int = 300) -> None:
        """Like the invoker, retry until the proxy accepts connections."""
        for _ in range(attempts):
            if self.socket_path.exists():
                try:
                    async with self._session.get("http://action/ping") as response:
                        await response.read()
                        return
                except aiohttp.ClientConnectionError:
                    pass
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the proxy never listened on {self.socket_path}")

    async def close(self) -> None:
        await self._session.close()


@dataclass
class RunningProxy:
    runtime: str
    client: ProxyClient
    read_logs: Callable[[], Awaitable[tuple[str, str]]]

    async def logs_after(self, activations: int) -> tuple[str, str]:
        """(stdout, stderr) once both streams hold ``activations`` sentinels."""
        stdout, stderr = await self.read_logs()
        for _ in range(600):  # up to 30 s: 1 MB of logs through a loaded machine's engine
            if min(stdout.count(SENTINEL), stderr.count(SENTINEL)) >= activations:
                break
            await asyncio.sleep(0.05)
            stdout, stderr = await self.read_logs()
        return stdout, stderr


StartProxy = Callable[..., Awaitable[RunningProxy]]

TARGETS = [
    pytest.param(("process", "python"), id="process-python"),
    pytest.param(("process", "nodejs"), id="process-nodejs"),
    pytest.param(("docker", "python"), id="docker-python", marks=pytest.mark.docker),
    pytest.param(("docker", "nodejs"), id="docker-nodejs", marks=pytest.mark.docker),
]


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def runtime(target: tuple[str, str]) -> str:
    return target[1]


@pytest.fixture(scope="session")
def docker_images() -> dict[str, str]:
    if shutil.which("docker") is None:
        skip_or_fail("no docker client")
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        skip_or_fail("no Docker engine (run scripts/docker-engine.sh)")
    return IMAGES


def require_current_image(image: str) -> None:
    """Skip (fail in CI) unless ``image`` exists and holds this tree's action proxy."""
    label = '{{index .Config.Labels "whisk.actionproxy.digest"}}'
    probe = ["docker", "image", "inspect", "--format", label, image]
    found = subprocess.run(probe, capture_output=True, check=False, text=True)
    if found.returncode != 0:
        skip_or_fail(f"image {image} missing (run scripts/build-images.sh)")
    if found.stdout.strip() != proxy_digest():
        skip_or_fail(f"image {image} is older than invoker/actionproxy (run build-images.sh)")


def proxy_digest() -> str:
    """The digest scripts/build-images.sh labels the images with: sha256sum of sorted files."""
    root = REPO / "invoker" / "actionproxy"
    files = sorted(
        "./" + path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.suffix != ".pyc" and "__pycache__" not in path.parts
    )
    listing = "".join(
        f"{hashlib.sha256((root / name).read_bytes()).hexdigest()}  {name}\n" for name in files
    )
    return hashlib.sha256(listing.encode()).hexdigest()


async def _output(*argv: str) -> tuple[str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{argv} failed: {stderr.decode(errors='replace')}")
    return stdout.decode(errors="replace"), stderr.decode(errors="replace")


@pytest.fixture
async def start_proxy(
    request: pytest.FixtureRequest, target: tuple[str, str]
) -> AsyncIterator[StartProxy]:
    """``await start_proxy(concurrency=1)`` gives a fresh, listening, uninitialised proxy."""
    kind, runtime = target
    cleanups: list[Callable[[], Awaitable[None]]] = []
    if kind == "docker":
        require_current_image(request.getfixturevalue("docker_images")[runtime])
    elif runtime == "nodejs" and shutil.which("node") is None:
        skip_or_fail("node is not on PATH")

    async def start(concurrency: int = 1) -> RunningProxy:
        socket_dir = _socket_dir()
        cleanups.append(lambda: asyncio.to_thread(shutil.rmtree, socket_dir, True))
        args = ["--unix", "", "--concurrency", str(concurrency)]
        if kind == "process":
            read_logs = await _start_process(runtime, socket_dir, args, cleanups)
        else:
            read_logs = await _start_container(runtime, socket_dir, args, cleanups)
        client = ProxyClient(socket_dir / "proxy.sock", connections=max(8, concurrency))
        cleanups.append(client.close)
        await client.wait_until_listening()
        return RunningProxy(runtime, client, read_logs)

    yield start
    for cleanup in reversed(cleanups):
        await cleanup()


def _socket_dir() -> Path:
    """A short path (Unix socket paths are limited to 107 bytes) that uid 1000 can write."""
    path = Path(tempfile.mkdtemp(prefix="whisk-contract-"))
    path.chmod(0o777)
    return path


async def _start_process(
    runtime: str, socket_dir: Path, args: list[str], cleanups: list[Any]
) -> Callable[[], Awaitable[tuple[str, str]]]:
    out, err = socket_dir / "stdout.log", socket_dir / "stderr.log"
    args[1] = str(socket_dir / "proxy.sock")
    env = {**os.environ, "PYTHONPATH": str(REPO / "invoker"), "WHISK_RUNTIME": runtime}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "actionproxy",
            *args,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=socket_dir,
        )

    async def stop() -> None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()

    async def read_logs() -> tuple[str, str]:
        return out.read_text(errors="replace"), err.read_text(errors="replace")

    cleanups.append(stop)
    return read_logs


async def _start_container(
    runtime: str, socket_dir: Path, args: list[str], cleanups: list[Any]
) -> Callable[[], Awaitable[tuple[str, str]]]:
    args[1] = f"{CONTAINER_SOCKET_DIR}/proxy.sock"
    stdout, _ = await _output(
        "docker",
        "run",
        "--detach",
        "--network",
        "none",
        "--read-only",
        "--tmpfs",
        # as the invoker's: executables may run from /tmp only in the native skeleton
        "/tmp:rw,exec,size=64m,mode=1777" if runtime == "native" else "/tmp:rw,size=64m,mode=1777",
        "--user",
        "1000:1000",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--memory",
        "256m",
        "--volume",
        f"{socket_dir}:{CONTAINER_SOCKET_DIR}",
        "--label",
        "whisk.test=contract",
        IMAGES[runtime],
        *args,
    )
    container = stdout.strip()

    async def stop() -> None:
        await _output("docker", "rm", "--force", container)

    async def read_logs() -> tuple[str, str]:
        return await _output("docker", "logs", container)

    cleanups.append(stop)
    return read_logs
