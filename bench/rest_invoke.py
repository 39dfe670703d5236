"""Warm invokes through the REST API, against their floors (not a test).

    .venv/bin/python bench/rest_invoke.py [--mode standalone|distributed|both] [--runs 1000]
        [--standalone-invoker in-process,process] [--rounds 2]
        [--controller-workers 1,2] [--kafka-query '' 'linger_ms=5' 'acks=all']

For each deployment (``whisk standalone``; or controller + invoker over Kafka and PostgreSQL,
started with the project's scripts), with one warm python action:
  * blocking invoke latency (p50/p99) with 1 client, and throughput with 1 and 32 clients;
  * non-blocking: activations accepted per second, and completed per second (all records final).
Floors printed beside: a raw aiohttp round trip to a trivial server (same client, same
machine) and a raw ``POST /run`` to the action proxy over its Unix socket.

Distributed variants (``--controller-workers`` x ``--kafka-query``: the bus URL's query, see
``whisk.bus.kafka.KafkaSettings``) run in interleaved rounds, each on a fresh stack; the
summary gives each variant's medians over the rounds as ratios to the aiohttp floor, measured
before and after and averaged, with the load average of each round.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
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
    return (await floor_http_figures(runs))[0]


async def floor_http_figures(runs: int) -> tuple[list[str], dict[str, float]]:
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
    return out, {"p50": pct(one, 0.5), "rate1": rate1, "rate32": rate32}


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
    return (await bench_figures(stack, runs))[0]


async def bench_figures(stack: Stack, runs: int) -> tuple[list[str], dict[str, float]]:
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
    figures = {
        "p50": pct(one, 0.5),
        "p99": pct(one, 0.99),
        "rate1": rate1,
        "rate32": rate32,
        "accepted": len(ids) / accepted,
        "completed": len(ids) / done,
    }
    return out, figures


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


async def deployed_echo(
    session: aiohttp.ClientSession, stack: Stack
) -> tuple[str, dict[str, str]]:
    """The echo action in a fresh namespace of ``stack``, warmed: its blocking-invoke URL and
    the headers to call it with."""
    key = stack.new_namespace(**LIMITS)
    headers = {
        "Authorization": "Basic " + base64.b64encode(key.encode()).decode(),
        "Content-Type": "application/json",
    }
    base = f"{stack.apihost}/api/v1/namespaces/_"
    async with session.put(
        f"{base}/actions/echo",
        headers=headers,
        json={"exec": {"kind": "python:3.11", "code": ECHO}},
    ) as resp:
        assert resp.status == 200, await resp.text()
    url = f"{base}/actions/echo?blocking=true"
    await timed_calls(session, "POST", url, b'{"a":1}', 200, 4, headers)  # warm
    return url, headers


def services() -> tuple[str, str]:
    """PostgreSQL and Kafka: the running ones named by WHISK_TEST_PG_URL / WHISK_TEST_KAFKA, or
    the project's scripts' (started if need be)."""
    if os.environ.get("WHISK_TEST_PG_URL") and os.environ.get("WHISK_TEST_KAFKA"):
        return os.environ["WHISK_TEST_PG_URL"], os.environ["WHISK_TEST_KAFKA"]
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
    parser.add_argument("--rounds", type=int, default=1, help="rounds per choice or variant")
    parser.add_argument(
        "--controller-workers",
        default="1",
        help="comma-separated WHISK_CONTROLLER_WORKERS values (distributed), interleaved",
    )
    parser.add_argument(
        "--kafka-query",
        nargs="*",
        default=[""],
        help="bus URL queries to compare (distributed), e.g. '' 'linger_ms=5' 'acks=all'",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="distributed variants all running at once, measured in alternating blocks",
    )
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
        await (paired(args, quiet) if args.paired else distributed(args, quiet))


async def paired(args: argparse.Namespace, quiet: dict[str, str]) -> None:
    """Every variant's stack running at once, measured in alternating blocks (A B, B A, ...):
    100 single-client blocking invokes, then 320 at 32 clients, per variant and block, so a
    shared machine's load falls on every variant alike (the idle stacks cost all alike too)."""
    pg, kafka = services()
    workers = [int(w) for w in args.controller_workers.split(",")]
    variants = [(w, q) for w in workers for q in args.kafka_query]
    floors = [(await floor_http_figures(args.runs))[1]]
    stacks: dict[tuple[int, str], Stack] = {}
    single: dict[tuple[int, str], list[float]] = {v: [] for v in variants}
    rates: dict[tuple[int, str], list[float]] = {v: [] for v in variants}
    loads: list[str] = []
    blocks = max(2, args.runs // 100) * args.rounds
    try:
        for w, query in variants:
            env = {
                **quiet,
                "WHISK_CONTROLLER_WORKERS": str(w),
                "WHISK_BUS_URL": f"kafka://{kafka}" + (f"?{query}" if query else ""),
            }
            home = Path(tempfile.mkdtemp(prefix="bench-kd-"))
            stacks[(w, query)] = await asyncio.to_thread(
                start_distributed, home, pg, kafka, invokers=1, extra_env=env
            )
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as s:
            targets = {}
            for variant, stack in stacks.items():
                url, headers = await deployed_echo(s, stack)
                targets[variant] = (url, headers)
            for block in range(blocks):
                order = variants if block % 2 == 0 else variants[::-1]
                loads.append(loadavg())
                for variant in order:
                    url, headers = targets[variant]
                    one, _ = await timed_calls(s, "POST", url, b'{"a":1}', 100, 1, headers)
                    single[variant].extend(one)
                for variant in order[::-1]:
                    url, headers = targets[variant]
                    _, rate = await timed_calls(s, "POST", url, b'{"a":1}', 320, 32, headers)
                    rates[variant].append(rate)
    finally:
        for stack in stacks.values():
            await asyncio.to_thread(stack.stop)
    floors.append((await floor_http_figures(args.runs))[1])
    floor = {k: statistics.median(f[k] for f in floors) for k in floors[0]}
    print(
        f"paired: {len(variants)} stacks running at once, {blocks} alternating blocks; floor "
        f"(aiohttp, median of before/after) p50 {floor['p50']:.3f} ms, {floor['rate32']:.0f}/s "
        f"with 32 clients; load {min(loads)}-{max(loads)}"
    )
    first = variants[0]
    for variant in variants:
        w, query = variant
        p50 = pct(single[variant], 0.5)
        rate = statistics.median(rates[variant])
        wins = sum(1 for a, b in zip(rates[first], rates[variant], strict=True) if b > a)
        label = f"{w}, {query or 'defaults'}"
        print(
            f"  {label:<28} p50 {p50 / floor['p50']:6.1f}x floor "
            f"({p50:.2f} ms, p99 {pct(single[variant], 0.99):.1f} ms)  32 clients "
            f"{rate / floor['rate32']:.3f}x floor ({rate:.0f}/s median block; "
            f"{rate / statistics.median(rates[first]):.2f}x the first, ahead of it in "
            f"{wins} of {blocks} blocks)"
        )


async def distributed(args: argparse.Namespace, quiet: dict[str, str]) -> None:
    pg, kafka = services()
    workers = [int(w) for w in args.controller_workers.split(",")]
    variants = [(w, q) for w in workers for q in args.kafka_query]
    floors = [(await floor_http_figures(args.runs))[1]]
    results: dict[tuple[int, str], list[dict[str, float]]] = {v: [] for v in variants}
    loads: list[str] = []
    for round_no in range(args.rounds):
        order = variants if round_no % 2 == 0 else variants[::-1]  # interleaved, both ways
        for w, query in order:
            env = {
                **quiet,
                "WHISK_CONTROLLER_WORKERS": str(w),
                "WHISK_BUS_URL": f"kafka://{kafka}" + (f"?{query}" if query else ""),
            }
            stack = await asyncio.to_thread(
                start_distributed,
                Path(tempfile.mkdtemp(prefix="bench-kd-")),
                pg,
                kafka,
                invokers=1,
                extra_env=env,
            )
            try:
                load = loadavg()
                loads.append(load)
                print(
                    f"distributed (controller x{w} workers, Kafka '{query}', PostgreSQL; "
                    f"round {round_no + 1}, load {load})"
                )
                floor_now = (await floor_http_figures(args.runs // 2))[1]
                lines, figures = await bench_figures(stack, args.runs)
                floors.append(floor_now)
                # each figure over the floor measured just before it, on the same machine
                figures["p50_x"] = figures["p50"] / floor_now["p50"]
                figures["rate1_x"] = figures["rate1"] / floor_now["rate1"]
                for k in ("rate32", "accepted", "completed"):
                    figures[f"{k}_x"] = figures[k] / floor_now["rate32"]
                results[(w, query)].append(figures)
                for text in lines:
                    print(text)
            finally:
                await asyncio.to_thread(stack.stop)
    floors.append((await floor_http_figures(args.runs))[1])
    floor = {k: statistics.median(f[k] for f in floors) for k in floors[0]}
    print(
        f"summary: medians of {args.rounds} round(s) of each figure over the floor measured "
        f"just before it; floor (aiohttp, median) "
        f"p50 {floor['p50']:.3f} ms, {floor['rate1']:.0f}/s, {floor['rate32']:.0f}/s with 32; "
        f"load {min(loads)}-{max(loads)}"
    )
    print(
        f"  {'workers, kafka query':<28} {'p50 x floor':>12} {'1-client x':>11} "
        f"{'32-client x':>12} {'accepted x':>11} {'completed x':>12}   (absolute)"
    )
    for (w, query), rounds in results.items():
        med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        label = f"{w}, {query or 'defaults'}"
        print(
            f"  {label:<28} {med['p50_x']:>12.1f} {med['rate1_x']:>11.3f} "
            f"{med['rate32_x']:>12.3f} {med['accepted_x']:>11.3f} {med['completed_x']:>12.3f}"
            f"   ({med['p50']:.2f} ms, {med['rate1']:.0f}/s, {med['rate32']:.0f}/s, "
            f"{med['accepted']:.0f}/s, {med['completed']:.0f}/s)"
        )


if __name__ == "__main__":
    asyncio.run(main())
