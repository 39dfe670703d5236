"""The controller's resident memory idle and after many warm activations (not a test).

    .venv/bin/python bench/controller_memory.py [--mode standalone|distributed|both]
        [--activations 100000] [--clients 32]

#11 asks for a controller RSS ≤ 80 MB idle, flat after 100,000 activations. For each
deployment (``whisk standalone``: controller and invoker in one process; the distributed
controller over Kafka and PostgreSQL, with one invoker in its own process), with one warm
python action:

* RSS idle: after start-up, the action created and warmed by 20 blocking invokes, 5 s idle;
* then ``--activations`` non-blocking invokes from ``--clients`` clients; the namespace allows
  1,000 in flight, so a 429 makes a client wait 20 ms and retry (the controller's own
  back-pressure paces the run, nothing queues without bound);
* RSS every 10 % of the run, and once all activations are completed and 5 s idle again.

"Flat" is judged from the 10 % mark on (the first 10,000 warm every cache, pool and
allocator arena); the figures are VmRSS from /proc, so no load figure is needed beside them,
but the load average is printed with each reading.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness import Stack, start_distributed, start_standalone  # noqa: E402

ECHO = "def main(args):\n    return args\n"
IN_FLIGHT = 1_000


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


async def drive(stack: Stack, pid: int, total: int, clients: int, label: str) -> None:
    key = stack.new_namespace(invocationsPerMinute=10_000_000, concurrentInvocations=IN_FLIGHT)
    headers = {
        "Authorization": "Basic " + base64.b64encode(key.encode()).decode(),
        "Content-Type": "application/json",
    }
    base = f"{stack.apihost}/api/v1/namespaces/_"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as s:
        async with s.put(
            f"{base}/actions/echo",
            headers=headers,
            json={"exec": {"kind": "python:3.11", "code": ECHO}},
        ) as resp:
            assert resp.status == 200, await resp.text()
        for _ in range(20):
            async with s.post(
                f"{base}/actions/echo?blocking=true", data=b"{}", headers=headers
            ) as r:
                assert r.status == 200, await r.text()
        await asyncio.sleep(5)
        idle = rss_mb(pid)
        print(f"{label}: RSS idle {idle:.1f} MB (load {loadavg()})", flush=True)

        sent = 0
        throttled = 0
        step = max(1, total // 10)
        marks: list[tuple[int, float]] = []
        began = time.perf_counter()

        async def client() -> None:
            nonlocal sent, throttled
            while sent < total:
                sent += 1
                n = sent
                while True:
                    async with s.post(
                        f"{base}/actions/echo", data=b'{"a":1}', headers=headers
                    ) as r:
                        await r.read()
                        if r.status == 202:
                            break
                        if r.status != 429:
                            raise RuntimeError(f"{r.status}: {await r.text()}")
                    throttled += 1
                    await asyncio.sleep(0.02)
                if n % step == 0:
                    marks.append((n, rss_mb(pid)))
                    print(
                        f"  {n:>7} accepted: RSS {marks[-1][1]:.1f} MB "
                        f"({n / (time.perf_counter() - began):.0f}/s, load {loadavg()})",
                        flush=True,
                    )

        await asyncio.gather(*(client() for _ in range(clients)))
        # completed: the newest page of records is final; then idle again
        while True:
            async with s.get(f"{base}/activations", params={"limit": "50"}, headers=headers) as r:
                page = await r.json()
            if all("statusCode" in item for item in page):
                break
            await asyncio.sleep(0.5)
        elapsed = time.perf_counter() - began
        await asyncio.sleep(5)
        after = rss_mb(pid)
        first = marks[0][1] if marks else idle
        print(
            f"{label}: {total} activations in {elapsed:.0f} s ({total / elapsed:.0f}/s, "
            f"{throttled} 429s retried); RSS idle {idle:.1f} MB -> after {after:.1f} MB "
            f"(+{after - idle:.1f}); from the 10% mark {first:.1f} -> {after:.1f} MB "
            f"(+{after - first:.1f}); load {loadavg()}",
            flush=True,
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["standalone", "distributed", "both"], default="both")
    parser.add_argument("--activations", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    quiet = {"WHISK_LOG_LEVEL": "warning"}
    if args.mode in ("standalone", "both"):
        home = Path(tempfile.mkdtemp(prefix="bench-mem-sa-"))
        stack = await asyncio.to_thread(start_standalone, home, quiet)
        try:
            pid = stack.procs["standalone"].pid
            label = "standalone (controller + invoker in one process)"
            await drive(stack, pid, args.activations, args.clients, label)
        finally:
            await asyncio.to_thread(stack.stop)
    if args.mode in ("distributed", "both"):
        from rest_invoke import services  # the running services, or the project's scripts'

        pg, kafka = services()
        home = Path(tempfile.mkdtemp(prefix="bench-mem-kd-"))
        stack = await asyncio.to_thread(
            start_distributed, home, pg, kafka, invokers=1, extra_env=quiet
        )
        try:
            pid = stack.procs["controller0"].pid
            await drive(stack, pid, args.activations, args.clients, "distributed controller")
            print(f"  (the invoker beside it: RSS {rss_mb(stack.procs['invoker0'].pid):.1f} MB)")
        finally:
            await asyncio.to_thread(stack.stop)


if __name__ == "__main__":
    asyncio.run(main())
