"""How the Kafka producer batches completion acks (not a test).

    .venv/bin/python bench/kafka_acks.py [--bootstrap 127.0.0.1:59092] [--rounds 3]

The invoker sends each ack with ``Producer.send`` (aiokafka's ``send_and_wait``) from the
activation's own task; nothing flushes per ack. aiokafka keeps at most one produce request in
flight per broker, so acks sent while one is in flight join the next batch, and with
``linger_ms=0`` a lone ack leaves at once. This measures, for each bus URL query, interleaved:

* a lone ack: median send latency of 50 sends one after another;
* a burst: 200 acks sent at once (400-byte values, a blocking ack's size): how many produce
  requests carried them, and how long until all were acknowledged.

Ratios are to the defaults' figures of the same round; the load average is printed per round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from whisk.bus import open_bus  # noqa: E402

QUERIES = ["", "linger_ms=5", "max_batch_size=65536", "acks=all"]


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


async def measure(bootstrap: str, query: str) -> tuple[float, int, float]:
    bus = open_bus(f"kafka://{bootstrap}" + (f"?{query}" if query else ""))
    try:
        topic = f"bench-acks-{uuid.uuid4().hex[:8]}"
        await bus.ensure_topic(topic, retention_ms=60_000)
        producer = await bus.producer()
        sender = producer._producer._sender  # type: ignore[attr-defined]
        requests = 0
        original: Callable[..., Awaitable[Any]] = sender._send_produce_req

        async def counted(*args: Any) -> Any:
            nonlocal requests
            requests += 1
            return await original(*args)

        sender._send_produce_req = counted
        await producer.send(topic, b"warm")
        lone = []
        for _ in range(50):
            began = time.perf_counter()
            await producer.send(topic, b"a" * 400)
            lone.append((time.perf_counter() - began) * 1000)
        requests = 0
        began = time.perf_counter()
        await asyncio.gather(*(producer.send(topic, b"b" * 400) for _ in range(200)))
        burst_ms = (time.perf_counter() - began) * 1000
        return statistics.median(lone), requests, burst_ms
    finally:
        await bus.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--bootstrap", default=os.environ.get("WHISK_TEST_KAFKA", "127.0.0.1:59092")
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, int, float]]] = {q: [] for q in QUERIES}
    for round_no in range(args.rounds):
        order = QUERIES if round_no % 2 == 0 else QUERIES[::-1]
        print(f"round {round_no + 1} (load {loadavg()})")
        for query in order:
            figures = await measure(args.bootstrap, query)
            results[query].append(figures)
            print(
                f"  {query or 'defaults':<22} lone {figures[0]:6.2f} ms; 200 at once: "
                f"{figures[1]} requests, {figures[2]:6.1f} ms"
            )
    base_lone = statistics.median(r[0] for r in results[""])
    base_burst = statistics.median(r[2] for r in results[""])
    print(f"medians of {args.rounds} rounds (x the defaults' figure)")
    for query, rounds in results.items():
        lone = statistics.median(r[0] for r in rounds)
        reqs = statistics.median(r[1] for r in rounds)
        burst = statistics.median(r[2] for r in rounds)
        print(
            f"  {query or 'defaults':<22} lone {lone:6.2f} ms ({lone / base_lone:4.2f}x)  "
            f"burst of 200: {reqs:.0f} requests, {burst:6.1f} ms ({burst / base_burst:4.2f}x)"
        )


if __name__ == "__main__":
    asyncio.run(main())
