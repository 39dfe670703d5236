"""Round-trip latency of ``POST /run`` to the action proxy over a Unix socket (not a test).

    .venv/bin/python bench/proxy_roundtrip.py [--runs 3000] [--docker]

Starts, each in its own process: the floor (a trivial aiohttp Unix-socket server answering
``{}``), the action proxy for python and nodejs (when ``node`` is on PATH) and, with
``--docker``, the runtime images. One aiohttp keep-alive connection sends the runs one after
another; the figures are printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
ACTIONS = {
    "python": "def main(args):\n    return args\n",
    "nodejs": "exports.main = (args) => args;\n",
}
IMAGES = {
    "python": "whisk/action-python-v3.11:latest",
    "nodejs": "whisk/action-nodejs-v20:latest",
}


def serve_floor(path: str) -> None:
    """The floor: aiohttp answering ``{}`` to ``POST /run`` on a Unix socket."""

    async def run(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/run", run)
    web.run_app(app, path=path, print=None, access_log=None)


async def measure(socket_path: Path, runs: int, init_code: str | None) -> list[float]:
    connector = aiohttp.UnixConnector(path=str(socket_path), limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(400):
            try:
                async with session.post("http://proxy/ping", data=b"") as response:
                    await response.read()
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        if init_code is not None:
            body = {"value": {"name": "bench", "main": "main", "code": init_code}}
            async with session.post("http://proxy/init", json=body) as response:
                assert response.status == 200, await response.text()
        message = {
            "value": {"name": "bench"},
            "activation_id": "0" * 32,
            "namespace": "guest",
            "action_name": "/guest/bench",
            "deadline": "1999999999999",
        }
        samples = []
        for i in range(runs + runs // 10):
            start = time.perf_counter()
            async with session.post("http://proxy/run", json=message) as response:
                await response.read()
            if i >= runs // 10:  # the first tenth warms up
                samples.append(time.perf_counter() - start)
        return samples


def start_local(kind: str, socket_path: Path) -> subprocess.Popen[bytes]:
    if kind == "floor":
        argv = [sys.executable, __file__, "--serve-floor", str(socket_path)]
        env = dict(os.environ)
    else:
        argv = [sys.executable, "-m", "actionproxy", "--unix", str(socket_path), "--runtime", kind]
        env = {**os.environ, "PYTHONPATH": str(REPO / "invoker")}
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_container(kind: str, socket_dir: Path) -> str:
    argv = [
        "docker", "run", "--detach", "--network", "none", "--read-only", "--tmpfs", "/tmp",
        "--user", "1000:1000", "--volume", f"{socket_dir}:/run/whisk", IMAGES[kind],
        "--unix", "/run/whisk/proxy.sock",
    ]  # fmt: skip
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


def report(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2] * 1e6
    p99 = ordered[int(len(ordered) * 0.99)] * 1e6
    mean = statistics.fmean(ordered) * 1e6
    return f"{name:<22} {p50:>9.0f} {p99:>9.0f} {mean:>9.0f} {1e6 / mean:>9.0f}"


def bench(target: str, runs: int) -> str:
    """Start ``target`` in its own process or container, measure it, stop it."""
    socket_dir = Path(tempfile.mkdtemp(prefix="whisk-bench-"))
    socket_dir.chmod(0o777)
    kind = target.removeprefix("docker-")
    process, container = None, None
    if target.startswith("docker-"):
        container = start_container(kind, socket_dir)
    else:
        process = start_local(kind, socket_dir / "proxy.sock")
    try:
        code = None if target == "floor" else ACTIONS[kind]
        samples = asyncio.run(measure(socket_dir / "proxy.sock", runs, code))
        return report(target if target != "floor" else "floor (aiohttp server)", samples)
    finally:
        if process is not None:
            process.terminate()
            process.wait()
        if container is not None:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
        shutil.rmtree(socket_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--docker", action="store_true", help="also the runtime images")
    parser.add_argument("--serve-floor", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return
    targets = ["floor", "python"] + (["nodejs"] if shutil.which("node") else [])
    if args.docker:
        targets += [f"docker-{kind}" for kind in IMAGES]
    lines = [bench(target, args.runs) for target in targets]
    print(f"POST /run over a Unix socket, aiohttp keep-alive, {args.runs} runs (microseconds)")
    print(f"{'target':<22} {'p50':>9} {'p99':>9} {'mean':>9} {'req/s':>9}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
