"""Whisk as a peer: ``whisk standalone`` or controller + invoker over Kafka and PostgreSQL,
started with the project's test harness (as bench/rest_invoke.py does), one warm python
action running the same function.

Non-blocking: ``--requests`` invokes from 32 clients (accepted/s), completed/s up to the
latest ``end`` among their records. Fan-out (standalone): fires of one trigger with 10
rules to a second action; rule activations/s up to the latest ``end`` of their records.
"""

from __future__ import annotations

import asyncio
import base64
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from peers import BODY, CLIENTS, EXPECTED, HERE, Procs, blocking_http
from rest_invoke import LIMITS, services, timed_calls

from tests.harness import Stack, start_distributed, start_standalone

CODE = (HERE / "hello.py").read_text()
RULES = 10
QUIET = {"WHISK_LOG_LEVEL": "warning"}
TIMEOUT_S = 180.0


async def final_records(
    session: aiohttp.ClientSession,
    base: str,
    headers: dict[str, str],
    name: str,
    since_ms: int,
    wanted: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    """Poll ``name``'s records started since ``since_ms`` until ``wanted`` holds for the final
    ones (summaries carry ``statusCode`` then); returns them."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        final: list[dict[str, Any]] = []
        skip = 0
        while True:
            params = {"name": name, "since": str(since_ms), "limit": "200", "skip": str(skip)}
            async with session.get(f"{base}/activations", params=params, headers=headers) as r:
                page = await r.json()
            final.extend(s for s in page if "statusCode" in s)
            if len(page) < 200:
                break
            skip += 200
        if wanted(final):
            return final
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: only {len(final)} records final after {TIMEOUT_S}s")
        await asyncio.sleep(0.5)  # the figure comes from the records, not from this poll


@dataclass
class WhiskPeer:
    name: str
    label: str
    starter: Callable[[Path], Stack]
    fanout: bool = False
    queue_based: bool = True
    stack: Stack | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        assert self.stack is not None
        return f"{self.stack.apihost}/api/v1/namespaces/_"

    async def start(self, procs: Procs) -> None:
        home = Path(tempfile.mkdtemp(prefix=f"bench-peers-{self.name}-"))
        self.stack = await asyncio.to_thread(self.starter, home)
        key = await asyncio.to_thread(self.stack.new_namespace, **LIMITS, firesPerMinute=10_000_000)
        self.headers = {
            "Authorization": "Basic " + base64.b64encode(key.encode()).decode(),
            "Content-Type": "application/json",
        }
        async with aiohttp.ClientSession() as s:
            await self._put(s, "actions/hello", {"exec": {"kind": "python:3.11", "code": CODE}})
            async with s.post(
                f"{self.base}/actions/hello?blocking=true&result=true",
                data=BODY,
                headers=self.headers,
            ) as resp:
                got = await resp.json()
                if got != EXPECTED:
                    raise RuntimeError(f"{self.name} answered {resp.status} {got!r}")
            if self.fanout:
                await self._put(s, "actions/fan", {"exec": {"kind": "python:3.11", "code": CODE}})
                await self._put(s, "triggers/fanout", {})
                for n in range(RULES):
                    await self._put(
                        s, f"rules/fan{n}", {"trigger": "/_/fanout", "action": "/_/fan"}
                    )

    async def _put(self, s: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> None:
        async with s.put(f"{self.base}/{path}", json=body, headers=self.headers) as resp:
            if resp.status != 200:
                raise RuntimeError(f"PUT {path}: {resp.status} {await resp.text()}")

    async def measure(self, requests: int) -> dict[str, float]:
        conn = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=conn) as s:
            url = f"{self.base}/actions/hello?blocking=true&result=true"
            out = await blocking_http(s, url, requests, self.headers)
            out.update(await self._non_blocking(s, requests))
            if self.fanout:
                out["fanout"] = await self._fanout(s, max(CLIENTS, requests // RULES))
        return out

    async def _non_blocking(self, s: aiohttp.ClientSession, requests: int) -> dict[str, float]:
        ids: set[str] = set()

        async def fire(n: int) -> None:
            for _ in range(n):
                async with s.post(
                    f"{self.base}/actions/hello", data=BODY, headers=self.headers
                ) as r:
                    ids.add((await r.json())["activationId"])

        since = int(time.time() * 1000) - 1
        began = time.perf_counter()
        await asyncio.gather(*(fire(requests // CLIENTS) for _ in range(CLIENTS)))
        accepted = len(ids) / (time.perf_counter() - began)
        done = await final_records(
            s, self.base, self.headers, "hello", since,
            lambda final: ids <= {r["activationId"] for r in final},
        )  # fmt: skip
        last = max(r["end"] for r in done if r["activationId"] in ids)
        return {"accepted": accepted, "completed": len(ids) / ((last - since) / 1000)}

    async def _fanout(self, s: aiohttp.ClientSession, fires: int) -> float:
        url = f"{self.base}/triggers/fanout"
        # warm the rules' action first (its containers), and let that burst finish, so the
        # figure is the fan-out's and not the cold starts'
        warm_since = int(time.time() * 1000) - 1
        await timed_calls(s, "POST", url, b"{}", CLIENTS, CLIENTS, self.headers)
        await final_records(
            s, self.base, self.headers, "fan", warm_since,
            lambda final: len(final) >= CLIENTS * RULES,
        )  # fmt: skip
        await asyncio.sleep(1.0)
        since = int(time.time() * 1000) - 1
        await timed_calls(s, "POST", url, b"{}", fires, min(CLIENTS, fires), self.headers)
        fires = (fires // min(CLIENTS, fires)) * min(CLIENTS, fires)
        done = await final_records(
            s, self.base, self.headers, "fan", since, lambda final: len(final) >= fires * RULES
        )
        last = max(r["end"] for r in done)
        return len(done) / ((last - since) / 1000)

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()


def factory_note() -> str:
    choice = os.environ.get("WHISK_INVOKER_FACTORY") or "auto"
    docker = "is present" if Path("/var/run/docker.sock").exists() else "is absent"
    return f"Whisk actions run in: WHISK_INVOKER_FACTORY={choice} (the Docker socket {docker})"


def standalone() -> WhiskPeer:
    return WhiskPeer(
        "whisk-standalone",
        "Whisk standalone (SQLite, in-process bus)",
        lambda home: start_standalone(home, QUIET),
        fanout=True,
    )


def distributed() -> WhiskPeer:
    def start(home: Path) -> Stack:
        pg = os.environ.get("WHISK_TEST_PG_URL")
        kafka = os.environ.get("WHISK_TEST_KAFKA")
        if not (pg and kafka):
            pg, kafka = services()
        return start_distributed(home, pg, kafka, invokers=1, extra_env=QUIET)

    return WhiskPeer(
        "whisk-distributed",
        "Whisk, Kafka + PostgreSQL (1 controller, 1 invoker)",
        start,
    )
