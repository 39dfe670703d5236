"""What the metrics cost per activation and per request, beside floors measured in the same run
(not a test).

    .venv/bin/python bench/metrics_overhead.py [--runs 20000] [--writes 2000]
    .venv/bin/python bench/metrics_overhead.py --end-to-end [--rounds 3] [--requests 1000]

Per activation the invoker calls ``Metrics.record_activation`` once, after writing the record;
per request the controller's middleware calls ``Metrics.record_request`` once. Timed here:

* ``record_activation`` of a completed record for an action already seen (the hot path) and
  for a new action each time (a first activation: its series are created);
* ``record_request``;
* floors: building the record the store writes (``activation_record``, no I/O) and one
  ``put_activation`` of it on SQLite (the write that precedes the recording, per activation);
* a scrape (``exposition()``) with 100 actions recorded, which runs off the hot path.

Block timings (mean over blocks of ``BLOCK`` calls, median of blocks) with the floors and the
measured operations interleaved, so both see the same machine.

``--end-to-end``: two ``whisk standalone`` stacks, ``WHISK_METRICS=on`` and ``off``, both
running, measured in alternating blocks (on then off, off then on, ...) of 100 warm blocking
single-client invokes and 320 at 32 clients, so the load of a shared machine falls on both
alike; p50 over all single-client samples, the median block rate at 32 clients, as ratios to
the aiohttp floor (before and after) and off / on.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from whisk.entities.activation import Activation, ActivationId, annotation, success  # noqa: E402
from whisk.metrics import Metrics  # noqa: E402
from whisk.store import open_store  # noqa: E402
from whisk.store.records import activation_record  # noqa: E402

BLOCK = 500
ROUTE = "/api/v1/namespaces/{ns}/actions/{name}"


def completed(action: str = "hello", namespace: str = "bench") -> Activation:
    """A completed warm record as the invoker writes it (six annotations, as ``record``)."""
    return Activation(
        namespace=namespace,
        name=action,
        version="0.0.1",
        subject=namespace,
        activation_id=ActivationId.new(),
        start=1_000,
        end=1_004,
        response=success({"greeting": "hello world"}),
        annotations=[
            annotation("path", f"{namespace}/{action}"),
            annotation("waitTime", 3),
            annotation("kind", "python:3.11"),
            annotation("timeout", False),
            annotation("limits", {"timeout": 60000, "memory": 256, "logs": 10, "concurrency": 1}),
        ],
    )


def per_call_us(samples: list[float]) -> float:
    return statistics.median(samples)


def block(step: Callable[[int], object], start: int) -> float:
    began = time.perf_counter()
    for i in range(start, start + BLOCK):
        step(i)
    return (time.perf_counter() - began) / BLOCK * 1e6


async def ablock(step: Callable[[int], Awaitable[object]], start: int, size: int) -> float:
    began = time.perf_counter()
    for i in range(start, start + size):
        await step(i)
    return (time.perf_counter() - began) / size * 1e6


async def main(runs: int, writes: int) -> None:
    metrics = Metrics()
    warm = [completed() for _ in range(BLOCK)]  # same action: its series exist after the first
    fresh_metrics = Metrics(process=False)
    fresh = [completed(action=f"a{i}") for i in range(runs)]
    metrics.record_activation(warm[0])

    hot: list[float] = []
    first: list[float] = []
    request: list[float] = []
    build: list[float] = []
    for start in range(0, runs, BLOCK):
        hot.append(block(lambda i: metrics.record_activation(warm[i % BLOCK]), start))
        first.append(block(lambda i: fresh_metrics.record_activation(fresh[i]), start))
        request.append(block(lambda i: metrics.record_request("POST", ROUTE, 200), start))
        build.append(block(lambda i: activation_record(warm[i % BLOCK], None), start))

    directory = tempfile.mkdtemp(prefix="whisk-bench-metrics-")
    store = (await open_store(f"sqlite+aiosqlite:///{directory}/whisk.db")).store
    records = [activation_record(completed(), None) for _ in range(writes)]
    write_size = 100
    put: list[float] = []
    put_and_record: list[float] = []

    async def write(i: int) -> None:
        await store.put_activation(records[i])

    async def write_and_record(i: int) -> None:
        await store.put_activation(records[i])
        metrics.record_activation(warm[i % BLOCK])

    for start in range(0, writes - write_size, 2 * write_size):
        put.append(await ablock(write, start, write_size))
        put_and_record.append(await ablock(write_and_record, start + write_size, write_size))
    await store.close()

    scrape = Metrics()
    for i in range(100):
        scrape.record_activation(completed(action=f"s{i}"))
    scrapes = []
    for _ in range(20):
        began = time.perf_counter()
        body = scrape.exposition()
        scrapes.append((time.perf_counter() - began) * 1e3)

    hot_us, put_us = per_call_us(hot), per_call_us(put)
    print(f"metrics overhead, {runs} recordings in blocks of {BLOCK}, {writes} SQLite writes")
    print(f"  record_activation, known action      {hot_us:8.2f} us")
    print(f"  record_activation, new action        {per_call_us(first):8.2f} us")
    print(f"  record_request                       {per_call_us(request):8.2f} us")
    print(f"  floor: activation_record (no I/O)    {per_call_us(build):8.2f} us")
    print(f"  floor: put_activation on SQLite      {put_us:8.2f} us")
    print(f"  put_activation + record_activation   {per_call_us(put_and_record):8.2f} us")
    print(f"  scrape of 100 actions                {statistics.median(scrapes):8.2f} ms "
          f"({len(body)} bytes, off the hot path)")  # fmt: skip
    print(f"  ratio record_activation / activation_record  {hot_us / per_call_us(build):6.2f}")
    print(f"  ratio record_activation / put_activation     {hot_us / put_us:6.4f}")


async def end_to_end(rounds: int, requests: int, control: bool = False) -> None:
    """Two standalones, metrics on and off, both running; measured in alternating blocks
    (A B, B A, ...) so that the load of a shared machine falls on both alike. ``control``: an
    A/A run, both recording, to show the spread the pairing leaves."""
    sys.path.insert(0, str(ROOT / "bench"))

    import aiohttp
    from rest_invoke import deployed_echo, floor_http_figures, loadavg, pct, timed_calls

    from tests.harness import start_standalone

    floors = [(await floor_http_figures(requests))[1]]
    stacks = {}
    for setting in ("on", "off"):
        env = {"WHISK_LOG_LEVEL": "warning", "WHISK_METRICS": "on" if control else setting}
        home = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
        stacks[setting] = await asyncio.to_thread(start_standalone, home, env)
    single: dict[str, list[float]] = {"on": [], "off": []}
    rate32: dict[str, list[float]] = {"on": [], "off": []}
    loads = []
    blocks = max(2, requests // 100) * rounds
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as s:
            targets = {}
            for setting, stack in stacks.items():
                url, headers = await deployed_echo(s, stack)
                targets[setting] = (url, headers)
            for block in range(blocks):
                order = ("on", "off") if block % 2 == 0 else ("off", "on")
                loads.append(loadavg())
                for setting in order:
                    url, headers = targets[setting]
                    one, _ = await timed_calls(s, "POST", url, b'{"a":1}', 100, 1, headers)
                    single[setting].extend(one)
                for setting in order[::-1]:
                    url, headers = targets[setting]
                    _, rate = await timed_calls(s, "POST", url, b'{"a":1}', 320, 32, headers)
                    rate32[setting].append(rate)
    finally:
        for stack in stacks.values():
            await asyncio.to_thread(stack.stop)
    floors.append((await floor_http_figures(requests))[1])
    floor = {k: statistics.median(f[k] for f in floors) for k in floors[0]}
    p50 = {k: pct(v, 0.5) for k, v in single.items()}
    p99 = {k: pct(v, 0.99) for k, v in single.items()}
    rate = {k: statistics.median(v) for k, v in rate32.items()}
    if control:
        print("A/A CONTROL: both stacks record metrics; 'off' names the second stack only")
    print(
        f"metrics on vs off, two standalones measured in {blocks} alternating blocks "
        f"(100 single-client + 320 at 32 clients each); floor (aiohttp, median of before and "
        f"after) p50 {floor['p50']:.3f} ms, {floor['rate32']:.0f}/s with 32 clients; "
        f"load {min(loads)}-{max(loads)}"
    )
    for setting in ("on", "off"):
        print(
            f"  metrics {setting:<3}  p50 {p50[setting] / floor['p50']:5.1f}x floor "
            f"({p50[setting]:.3f} ms, p99 {p99[setting]:.2f} ms)  32 clients "
            f"{rate[setting] / floor['rate32']:.3f}x floor ({rate[setting]:.0f}/s, median block)"
        )
    wins = sum(1 for a, b in zip(rate32["on"], rate32["off"], strict=True) if b > a)
    print(
        f"  off / on: p50 {p50['off'] / p50['on']:.3f}, 32-client throughput "
        f"{rate['off'] / rate['on']:.3f} (off faster in {wins} of {blocks} blocks)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=2_000)
    parser.add_argument("--end-to-end", action="store_true", help="standalone, metrics on/off")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--control", action="store_true", help="end-to-end A/A: both on")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    if args.end_to_end:
        asyncio.run(end_to_end(args.rounds, args.requests, args.control))
    else:
        asyncio.run(main(args.runs, args.writes))
