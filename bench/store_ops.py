"""Latency of the activation store's per-activation operations, against their floors (not a
test).

    .venv/bin/python bench/store_ops.py [--runs 2000] [--postgres URL]

Every activation costs two ``put_activation`` calls (the pending record, then the final one) and
each ``GET /activations/{id}`` a ``get_activation``. For SQLite (a fresh file) and, given a URL
(default: ``WHISK_TEST_PG_URL`` from ``.cache/services.env``), PostgreSQL, it prints p50/p99 of
both, beside the floors of the same statements sent raw through the driver (``sqlite3`` on the
calling thread; ``asyncpg`` on one connection) and, for SQLite, of the bare thread hop the store
pays to keep the event loop free. PostgreSQL rows go to a throwaway namespace and are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from whisk.store import open_store  # noqa: E402
from whisk.store.ports import ActivationRecord  # noqa: E402

NAMESPACE = "bench-store-ops"
DOC: dict[str, Any] = {
    "namespace": NAMESPACE,
    "name": "hello",
    "version": "0.0.1",
    "subject": NAMESPACE,
    "start": 1,
    "end": 0,
    "response": None,
    "logs": [],
    "annotations": [
        {"key": "path", "value": f"{NAMESPACE}/hello"},
        {"key": "kind", "value": "python:3.11"},
        {"key": "limits", "value": {"timeout": 60000, "memory": 256, "logs": 10}},
    ],
    "publish": False,
}
UPSERT = (
    'INSERT INTO activations (activation_id, namespace, name, package, start, "end", '
    "status_code, doc) VALUES ({}) ON CONFLICT (activation_id) DO UPDATE SET doc = excluded.doc"
)
SELECT = "SELECT doc FROM activations WHERE activation_id = {} AND namespace = {}"


def record(i: int) -> ActivationRecord:
    aid = uuid.uuid4().hex
    return ActivationRecord(
        aid, NAMESPACE, "hello", None, 1_000 + i, 0, None, {**DOC, "activationId": aid}
    )


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(label: str, samples: list[float]) -> str:
    return (
        f"  {label:<44} p50 {statistics.median(samples):7.3f} ms   p99 {p(samples, 0.99):7.3f} ms"
    )


async def timed(runs: int, step: Callable[[int], Awaitable[Any]]) -> list[float]:
    out = []
    for i in range(runs):
        started = time.perf_counter()
        await step(i)
        out.append((time.perf_counter() - started) * 1000)
    return out[runs // 10 :]  # the first tenth warms caches and connections


async def bench_sqlite(runs: int) -> list[str]:
    directory = tempfile.mkdtemp(prefix="whisk-bench-")
    store = (await open_store(f"sqlite+aiosqlite:///{directory}/whisk.db")).store
    ids: list[str] = []

    async def put(i: int) -> None:
        rec = record(i)
        ids.append(rec.activation_id)
        await store.put_activation(rec)

    async def get(i: int) -> None:
        await store.get_activation(NAMESPACE, ids[i % len(ids)])

    puts, gets = await timed(runs, put), await timed(runs, get)
    await store.close()

    raw = sqlite3.connect(f"{directory}/whisk.db", isolation_level=None)
    raw.execute("PRAGMA synchronous = NORMAL")
    upsert = UPSERT.format(", ".join("?" * 8))
    select = SELECT.format("?", "?")

    async def raw_put(i: int) -> None:
        rec = record(i)
        raw.execute(upsert, (rec.activation_id, NAMESPACE, "hello", "", rec.start, 0, None,
                             json.dumps(rec.doc)))  # fmt: skip

    async def raw_get(i: int) -> None:
        raw.execute(select, (ids[i % len(ids)], NAMESPACE)).fetchone()

    raw_puts, raw_gets = await timed(runs, raw_put), await timed(runs, raw_get)
    raw.close()
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1) as pool:
        hops = await timed(runs, lambda _: loop.run_in_executor(pool, int))
    return [
        "SQLite (WAL, synchronous=NORMAL; one reader and one writer thread)",
        line("put_activation", puts),
        line("  floor: raw sqlite3 upsert, same thread", raw_puts),
        line("get_activation", gets),
        line("  floor: raw sqlite3 select, same thread", raw_gets),
        line("  floor: bare thread hop (run_in_executor)", hops),
    ]


async def bench_postgres(url: str, runs: int) -> list[str]:
    import asyncpg

    store = (await open_store(url)).store
    ids: list[str] = []

    async def put(i: int) -> None:
        rec = record(i)
        ids.append(rec.activation_id)
        await store.put_activation(rec)

    async def get(i: int) -> None:
        await store.get_activation(NAMESPACE, ids[i % len(ids)])

    try:
        puts, gets = await timed(runs, put), await timed(runs, get)
    finally:
        await store.close()
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        upsert = UPSERT.format(", ".join(f"${n}" for n in range(1, 9)))
        select = SELECT.format("$1", "$2")

        async def raw_put(i: int) -> None:
            rec = record(i)
            await conn.execute(upsert, rec.activation_id, NAMESPACE, "hello", "", rec.start, 0,
                               None, json.dumps(rec.doc))  # fmt: skip

        async def raw_get(i: int) -> None:
            await conn.fetchrow(select, ids[i % len(ids)], NAMESPACE)

        raw_puts, raw_gets = await timed(runs, raw_put), await timed(runs, raw_get)
        await conn.execute("DELETE FROM activations WHERE namespace = $1", NAMESPACE)
    finally:
        await conn.close()
    return [
        "PostgreSQL (asyncpg through SQLAlchemy's asyncio engine)",
        line("put_activation", puts),
        line("  floor: raw asyncpg upsert, one connection", raw_puts),
        line("get_activation", gets),
        line("  floor: raw asyncpg select, one connection", raw_gets),
    ]


def default_postgres_url() -> str | None:
    env = ROOT / ".cache" / "services.env"
    if not env.exists():
        return os.environ.get("WHISK_TEST_PG_URL")
    for text in env.read_text().splitlines():
        if text.startswith("export WHISK_TEST_PG_URL="):
            return text.split("=", 1)[1].strip("'\"")
    return os.environ.get("WHISK_TEST_PG_URL")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--postgres", default=None, help="a postgresql+asyncpg:// URL")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; runs per measure: {args.runs} (first tenth dropped)")
    for text in await bench_sqlite(args.runs):
        print(text)
    url = args.postgres or default_postgres_url()
    if url:
        for text in await bench_postgres(url, args.runs):
            print(text)
    else:
        print("PostgreSQL: skipped (no URL: run scripts/postgres.sh or pass --postgres)")


if __name__ == "__main__":
    asyncio.run(main())
