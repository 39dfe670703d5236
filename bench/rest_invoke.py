"""Warm invokes through the REST API, against their floors (not a test).

    .venv/bin/python bench/rest_invoke.py [--mode standalone|distributed|both] [--runs 1000]
        [--standalone-invoker in-process,process] [--rounds 2]

For each deployment (``whisk standalone``; or controller + invoker over Kafka and PostgreSQL,
started with the project's scripts), with one warm python action:
  * blocking invoke latency (p50/p99) with 1 client, and throughput with 1 and 32 clients;
  * non-blocking: activations accepted per second, and completed per second (all records final).
Floors printed beside: a raw aiohttp round trip to a trivial server (same client, same
machine) and a raw ``POST /run`` to the action proxy over its Unix socket.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness import Stack, free_port, start_distributed, start_standalone  # noqa: E402

ECHO = "def main(args):\n    return args\n"
LIMITS = {"invocationsPerMinute": 10_000_000, "concurrentInvocations": 100_000}


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(label: str, p50: float, p99: float, rate: float | None = None) -> str:
    extra = f"  {rate:8.0f}/s" if rate is not None else ""
    return f"  {label:<44} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms{extra}"


async def timed_calls(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: bytes,
    runs: int,
    clients: int,
    headers: dict[str, str],
) -> tuple[list[float], float]:
    samples: list[float] = []
    per_client = runs // clients

    async def client() -> None:
        for _ in range(per_client):
            began = time.perf_counter()
            async with session.request(method, url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status >= 300:
                    raise RuntimeError(f"{resp.status}: {await resp.text()}")
            samples.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return samples, len(samples) / (time.perf_counter() - began)


async def floor_http(runs: int) -> list[str]:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/x", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    out = []
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as s:
            url = f"http://127.0.0.1:{port}/x"
            await timed_calls(s, "POST", url, b"{}", 100, 1, {})
            one, rate1 = await timed_calls(s, "POST", url, b"{}", runs, 1, {})
            many, rate32 = await timed_calls(s, "POST", url, b"{}", runs * 4, 32, {})
            out.append(
                line("floor: aiohttp round trip, 1 client", pct(one, 0.5), pct(one, 0.99), rate1)
            )
            out.append(
                line(
                    "floor: aiohttp round trip, 32 clients", pct(many, 0.5), pct(many, 0.99), rate32
                )
            )
    finally:
        await runner.cleanup()
    return out


async def floor_run(runs: int) -> list[str]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    sock = tmp / "proxy.sock"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "invoker")}
    proc = subprocess.Popen(  # noqa: ASYNC220 (a benchmark, started once)
        [sys.executable, "-m", "actionproxy", "--unix", str(sock)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if sock.exists():
                break
            await asyncio.sleep(0.05)
        conn = aiohttp.UnixConnector(path=str(sock))
        async with aiohttp.ClientSession(connector=conn) as s:
            init = {"value": {"name": "echo", "main": "main", "code": ECHO, "binary": False}}
            async with s.post("http://proxy/init", json=init) as resp:
                await resp.read()
            body = b'{"value": {"a": 1}, "activation_id": "x", "deadline": "0"}'
            await timed_calls(s, "POST", "http://proxy/run", body, 100, 1, {})
            one, rate = await timed_calls(s, "POST", "http://proxy/run", body, runs, 1, {})
            return [
                line(
                    "floor: raw POST /run to the proxy (process)",
                    pct(one, 0.5),
                    pct(one, 0.99),
                    rate,
                )
            ]
    finally:
        proc.terminate()
        proc.wait()


async def completed_all(
    session: aiohttp.ClientSession, base: str, headers: dict[str, str], ids: set[str]
) -> None:
    """Wait until every one of ``ids`` has a final record (summaries carry statusCode then)."""
    remaining = set(ids)
    while remaining:
        skip = 0
        while True:
            async with session.get(
                f"{base}/activations", params={"limit": "200", "skip": str(skip)}, headers=headers
            ) as resp:
                page = await resp.json()
            for summary in page:
                if "statusCode" in summary:
                    remaining.discard(summary["activationId"])
            if len(page) < 200 or not remaining:
                break
            skip += 200
        if remaining:
            await asyncio.sleep(0.2)


async def bench_stack(stack: Stack, runs: int) -> list[str]:
    key = stack.new_namespace(**LIMITS)
    headers = {
        "Authorization": "Basic " + base64.b64encode(key.encode()).decode(),
        "Content-Type": "application/json",
    }
    base = f"{stack.apihost}/api/v1/namespaces/_"
    out = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as s:
        async with s.put(
            f"{base}/actions/echo",
            headers=headers,
            json={"exec": {"kind": "python:3.11", "code": ECHO}},
        ) as resp:
            assert resp.status == 200, await resp.text()
        url = f"{base}/actions/echo?blocking=true"
        await timed_calls(s, "POST", url, b'{"a":1}', 200, 4, headers)  # warm containers
        one, rate1 = await timed_calls(s, "POST", url, b'{"a":1}', runs, 1, headers)
        out.append(line("blocking invoke, 1 client", pct(one, 0.5), pct(one, 0.99), rate1))
        many, rate32 = await timed_calls(s, "POST", url, b'{"a":1}', runs * 2, 32, headers)
        out.append(line("blocking invoke, 32 clients", pct(many, 0.5), pct(many, 0.99), rate32))

        ids: set[str] = set()

        async def fire(n: int) -> None:
            for _ in range(n):
                async with s.post(f"{base}/actions/echo", data=b'{"a":1}', headers=headers) as r:
                    ids.add((await r.json())["activationId"])

        total = runs * 2
        began = time.perf_counter()
        await asyncio.gather(*(fire(total // 32) for _ in range(32)))
        accepted = time.perf_counter() - began
        await completed_all(s, base, headers, ids)
        done = time.perf_counter() - began
        out.append(
            f"  non-blocking: {len(ids)} accepted at {len(ids) / accepted:.0f}/s, "
            f"all completed at {len(ids) / done:.0f}/s"
        )
    return out


def services() -> tuple[str, str]:
    pg = subprocess.run(
        ["bash", str(ROOT / "scripts/postgres.sh")], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    kafka = subprocess.run(
        ["bash", str(ROOT / "scripts/kafka.sh"), "start"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    return pg, kafka


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["standalone", "distributed", "both"], default="both")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument(
        "--standalone-invoker",
        default="",
        help="comma-separated WHISK_STANDALONE_INVOKER values to compare, interleaved "
        "(in-process, process); default: standalone's own choice",
    )
    parser.add_argument("--rounds", type=int, default=1, help="standalone rounds per choice")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; runs per measure: {args.runs}")
    print("floors")
    for text in await floor_http(args.runs) + await floor_run(args.runs):
        print(text)
    quiet = {"WHISK_LOG_LEVEL": "warning"}
    if args.mode in ("standalone", "both"):
        choices = [c.strip() for c in args.standalone_invoker.split(",") if c.strip()] or [""]
        for round_no in range(args.rounds):
            for choice in choices:
                env = {**quiet, **({"WHISK_STANDALONE_INVOKER": choice} if choice else {})}
                stack = await asyncio.to_thread(
                    start_standalone, Path(tempfile.mkdtemp(prefix="bench-sa-")), env
                )
                try:
                    where = f"invoker {choice}" if choice else "invoker where standalone puts it"
                    print(f"standalone (SQLite, {where}; round {round_no + 1})")
                    for text in await bench_stack(stack, args.runs):
                        print(text)
                finally:
                    stack.stop()
        if args.rounds > 1 or len(choices) > 1:
            print("floors again")
            for text in await floor_http(args.runs):
                print(text)
    if args.mode in ("distributed", "both"):
        pg, kafka = services()
        stack = await asyncio.to_thread(
            start_distributed,
            Path(tempfile.mkdtemp(prefix="bench-kd-")),
            pg,
            kafka,
            invokers=1,
            extra_env=quiet,
        )
        try:
            print("distributed (controller + invoker, Kafka, PostgreSQL)")
            for text in await bench_stack(stack, args.runs):
                print(text)
        finally:
            stack.stop()


if __name__ == "__main__":
    asyncio.run(main())
