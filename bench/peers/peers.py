"""The peers that are not Whisk: HTTP servers measured by the project's aiohttp client, and
queue workers measured by ``queue_client.py`` in the peers' venv. Each peer starts once,
is measured once per round, and stops at the end."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import aiohttp
from rest_invoke import timed_calls
from stats import pct

HERE = Path(__file__).resolve().parent
SERVERS = HERE / "servers"
BODY = b'{"name": "bench"}'
JSON = {"Content-Type": "application/json"}
EXPECTED = {"greeting": "hello bench"}
CLIENTS = 32
WARMUP = 64


class Peer(Protocol):
    """What the run needs of a peer: start once, measure once per round, stop at the end."""

    name: str
    label: str

    async def start(self, procs: Procs) -> None: ...

    async def measure(self, requests: int) -> dict[str, float]: ...

    def stop(self) -> None: ...


@dataclass
class Procs:
    """Subprocesses of the bench, each logging to a file under ``logs``."""

    logs: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path = HERE) -> None:
        with open(self.logs / f"{name}.log", "ab") as out:
            self.running[name] = subprocess.Popen(
                cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def check(self, name: str) -> None:
        if self.running[name].poll() is not None:
            log = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited:\n{log}")

    def stop(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.running.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def blocking_http(
    session: aiohttp.ClientSession, url: str, requests: int, headers: dict[str, str]
) -> dict[str, float]:
    """Warm-up at 32 clients, then 1 client (p50, p99) and 32 clients (rate)."""
    await timed_calls(session, "POST", url, BODY, WARMUP, CLIENTS, headers)
    one, _ = await timed_calls(session, "POST", url, BODY, requests, 1, headers)
    _, rate32 = await timed_calls(session, "POST", url, BODY, requests, CLIENTS, headers)
    return {"p50": pct(one, 0.5), "p99": pct(one, 0.99), "rate32": rate32}


async def wait_http(procs: Procs, name: str, url: str, within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < deadline:
            procs.check(name)
            try:
                async with s.post(url, data=BODY, headers=JSON) as resp:
                    if resp.status == 200:
                        got = await resp.json(content_type=None)
                        if got != EXPECTED:
                            raise RuntimeError(f"{name} answered {got!r}")
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{name} did not answer on {url}")


@dataclass
class HttpPeer:
    name: str
    label: str
    cmd: list[str]
    port: int
    env: dict[str, str]
    queue_based: bool = False

    def stop(self) -> None:
        """Its process stops with the bench's other subprocesses."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self, procs: Procs) -> None:
        procs.spawn(self.name, self.cmd, self.env)
        await wait_http(procs, self.name, self.url)

    async def measure(self, requests: int) -> dict[str, float]:
        conn = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=conn) as s:
            return await blocking_http(s, self.url, requests, JSON)


def aiohttp_floor(port: int) -> HttpPeer:
    return HttpPeer(
        "aiohttp",
        "bare aiohttp hello server (the HTTP floor)",
        [sys.executable, str(SERVERS / "aiohttp_hello.py"), str(port)],
        port,
        dict(os.environ),
    )


def functions_framework(venv: Path, port: int) -> HttpPeer:
    return HttpPeer(
        "ff",
        "Google functions-framework, 1 worker (gunicorn gthread)",
        [
            str(venv / "bin/functions-framework"),
            "--source",
            str(SERVERS / "ff_hello.py"),
            "--target",
            "hello",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        port,
        {**os.environ, "WORKERS": "1"},
    )


@dataclass
class QueuePeer:
    """Celery or Dramatiq workers; measured by ``queue_client.py`` with the peers' python."""

    name: str
    label: str
    workers: dict[str, list[str]]
    venv: Path
    env: dict[str, str]
    queue_based: bool = True

    def stop(self) -> None:
        """Its workers stop with the bench's other subprocesses."""

    async def start(self, procs: Procs) -> None:
        for name, cmd in self.workers.items():
            procs.spawn(name, cmd, self.env, cwd=SERVERS)
        await asyncio.sleep(1.0)
        for name in self.workers:
            procs.check(name)

    async def measure(self, requests: int) -> dict[str, float]:
        proc = await asyncio.create_subprocess_exec(
            str(self.venv / "bin/python"),
            str(HERE / "queue_client.py"),
            self.name,
            "--requests",
            str(requests),
            "--clients",
            str(CLIENTS),
            "--warmup",
            str(WARMUP),
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"queue client for {self.name} failed:\n{err.decode()[-3000:]}")
        got = json.loads(out.decode().strip().splitlines()[-1])
        return {
            "p50": got["one"]["p50"],
            "p99": got["one"]["p99"],
            "rate32": got["many"]["rate"],
            "accepted": got["accepted"],
            "completed": got["completed"],
        }


def celery(venv: Path, env: dict[str, str], pool: str) -> QueuePeer:
    cores = os.cpu_count() or 1
    size = ["--concurrency", str(cores)] if pool == "prefork" else []
    detail = f"prefork, {cores} processes" if pool == "prefork" else "solo pool"
    return QueuePeer(
        f"celery-{pool}",
        f"Celery 5 + Redis, {detail}",
        {
            f"celery-{pool}": [
                str(venv / "bin/celery"),
                "-A",
                "celery_app",
                "worker",
                "--pool",
                pool,
                *size,
                "-Q",
                pool,
                "--loglevel",
                "warning",
                "-n",
                f"{pool}@%h",
            ]
        },
        venv,
        env,
    )


def dramatiq(venv: Path, env: dict[str, str]) -> QueuePeer:
    cores = os.cpu_count() or 1
    return QueuePeer(
        "dramatiq",
        f"Dramatiq 2 + Redis, {cores} processes x 8 threads",
        {
            "dramatiq": [
                str(venv / "bin/dramatiq"),
                "dramatiq_app",
                "--processes",
                str(cores),
                "--threads",
                "8",
            ]
        },
        venv,
        env,
    )
