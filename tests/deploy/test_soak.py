"""A bounded load soak of the distributed deployment (one controller, two invokers, real Kafka,
PostgreSQL and Docker): mixed blocking, non-blocking and trigger traffic at 80 % of the
capacity measured first, for ``WHISK_SOAK_SECONDS`` (60 in CI; 1800 on demand).

How: capacity is the blocking throughput of 16 closed-loop clients over 6 s (after 3 s of the
same to warm the pools). Then an open loop sends 80 % of it, one request every 1/rate s: half
blocking invokes, three in ten non-blocking invokes, two in ten trigger fires (one rule, one
action activation each), for a 10 s warm-up and then the soak. Traffic pauses twice, after the
warm-up and at the end, until every activation has settled; the figures are sampled in those
quiet moments, so they compare like with like.

Bounds asserted:
- **no errors**: every request answers 200 (blocking) or 202 (non-blocking, fire); 429s are the
  one allowed refusal (the namespace's limits are raised far above the load, so none are
  expected; they are counted and reported). Every activation ends with a ``success`` record, none
  is left pending, none is missing (read from the database);
- **memory flat**: the resident set of the controller and of each invoker grows by at most
  25 MB from the end of the warm-up to the end of a 60 s soak (40 MB for longer soaks). At
  100 activations/s that catches a leak of about 4 KB per activation in 60 s and of about
  0.2 KB in 30 min; smaller ones show in the table's growth column first (a 300 s run on the
  shared VM: +0.7 MB controller, +1.2 / +0.7 MB invokers). It found the controller keeping its
  last 4,096 acknowledged records (~8 MB) after they expired (whisk/store/write_behind.py);
- **no file-descriptor leak**: each service holds at most 16 more descriptors at the end than
  after the warm-up, plus 4 per container its pool grew by (the log FIFOs and the socket of a
  container);
- **no container leak**: at the end each invoker's Docker containers (by its label) are exactly
  the ones its pool holds (``whisk_invoker_containers``), within its memory (1024 MB / 128 MB
  plus stem cells); after the stack stops, none is left.

The figures go to the ``load soak`` table (tests/reliability_report.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import service_missing
from tests.deploy.conftest import Caller
from tests.harness import Stack, start_distributed
from tests.reliability_report import report
from whisk.config import DEFAULT_RUNTIMES_MANIFEST

SOAK_S = float(os.environ.get("WHISK_SOAK_SECONDS") or 60)
WARMUP_S = 10.0
LOAD_SHARE = 0.8
CAPACITY_CLIENTS = 16
RSS_BOUND_MB = 25.0 if SOAK_S <= 60 else 40.0
FD_MARGIN = 16
FDS_PER_CONTAINER = 4
ACTION_MB = 128
INVOKER_MB = 1024  # the harness's WHISK_INVOKER_USER_MEMORY_MB
MAX_OUTSTANDING = 1_000  # requests in flight before the generator reports itself behind
NOOP = "def main(args):\n    return {'n': args.get('n')}\n"

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.postgres,
    pytest.mark.docker,
    pytest.mark.reliability,
    pytest.mark.timeout(int(SOAK_S + WARMUP_S + 240)),
]

HEADER = (
    "process", "soak s", "capacity/s", "rate/s", "requests", "ok", "429", "errors",
    "blocking p50/p99 ms", "RSS warm MB", "RSS peak MB", "RSS end MB", "growth MB", "fds warm/end",
    "containers warm/end",
)  # fmt: skip


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    return done.returncode == 0


@pytest.fixture(scope="module")
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    if not docker_available():
        service_missing("no Docker engine: the soak counts the invokers' containers")
    running = start_distributed(
        tmp_path_factory.mktemp("soak"),
        request.getfixturevalue("postgres_url"),
        request.getfixturevalue("kafka_bootstrap"),
        invokers=2,
        # production timeouts (not the deploy suite's fast-failure ones): a CPU-starved
        # invoker that pings late is not down
        extra_env={"WHISK_INVOKER_FACTORY": "docker"},
        health_ports=True,
    )
    try:
        yield running
    finally:
        running.stop()


# -- what is measured --------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def docker_containers(label: str) -> int:
    done = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=whisk.invoker={label}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return len(done.stdout.split())


def pool_containers(health_url: str) -> int:
    """The containers the invoker's pool holds, from its ``whisk_invoker_containers``."""
    with urllib.request.urlopen(f"{health_url}/metrics", timeout=5) as resp:
        body = resp.read().decode()
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in body.splitlines()
            if line.startswith("whisk_invoker_containers{")
        )
    )


@dataclass
class Snapshot:
    rss: dict[str, float]
    fds: dict[str, int]
    docker: dict[str, int]
    pools: dict[str, int]


def invoker_label(stack: Stack, name: str) -> str:
    return f"{stack.env['WHISK_KAFKA_TOPIC_PREFIX']}-{name}"


async def snapshot(stack: Stack) -> Snapshot:
    """Every service's RSS and fds; per invoker, Docker's containers and its pool's, once
    they agree (a container being removed is briefly in one and not the other)."""
    pids = {name: proc.pid for name, proc in stack.procs.items()}
    invokers = sorted(stack.health)
    docker: dict[str, int] = {}
    pools: dict[str, int] = {}
    for _ in range(20):
        docker = {n: docker_containers(invoker_label(stack, n)) for n in invokers}
        pools = {n: pool_containers(stack.health[n]) for n in invokers}
        if docker == pools:
            break
        await asyncio.sleep(0.5)
    return Snapshot(
        rss={n: rss_mb(p) for n, p in pids.items()},
        fds={n: fd_count(p) for n, p in pids.items()},
        docker=docker,
        pools=pools,
    )


async def sample_rss(stack: Stack, peaks: dict[str, float], every_s: float = 5.0) -> None:
    """Keep each service's highest RSS in ``peaks`` until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        for name, proc in stack.procs.items():
            peaks[name] = max(peaks[name], rss_mb(proc.pid))


# -- the traffic -------------------------------------------------------------------------------


@dataclass
class Traffic:
    caller: Caller
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    blocking_ms: list[float] = field(default_factory=list)
    behind: int = 0  # requests not sent: MAX_OUTSTANDING were still in flight

    async def one(self, kind: str, n: int) -> None:
        started = time.monotonic()
        try:
            if kind == "blocking":
                params = {"blocking": "true"}
                status, _ = await self.caller.call("POST", "actions/noop", {"n": n}, **params)
                if status == 200:
                    self.blocking_ms.append((time.monotonic() - started) * 1000)
            elif kind == "non-blocking":
                status, _ = await self.caller.call("POST", "actions/noop", {"n": n})
            else:
                status, _ = await self.caller.call("POST", "triggers/tick", {"n": n})
        except (aiohttp.ClientError, TimeoutError):
            status = -1  # no answer: an error
        self.statuses[(kind, status)] += 1

    async def closed_loop(self, clients: int, seconds: float) -> int:
        """Blocking invokes from ``clients`` callers for ``seconds``: how many completed."""
        deadline = time.monotonic() + seconds
        done = 0

        async def client() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                status, _ = await self.caller.call("POST", "actions/noop", {}, blocking="true")
                self.statuses[("capacity", status)] += 1
                done += status == 200

        await asyncio.gather(*(client() for _ in range(clients)))
        return done

    async def open_loop(self, rate: float, seconds: float) -> None:
        """One request every 1/rate s for ``seconds``: 5 blocking, 3 non-blocking and 2
        trigger fires in every 10; returns when every request has answered."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        pending: set[asyncio.Task[None]] = set()
        n = 0
        while (due := start + n / rate) < start + seconds:
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(pending) >= MAX_OUTSTANDING:
                self.behind += 1
            else:
                kind = ("blocking",) * 5 + ("non-blocking",) * 3 + ("fire",) * 2
                task = asyncio.ensure_future(self.one(kind[n % 10], n))
                pending.add(task)
                task.add_done_callback(pending.discard)
            n += 1
        await asyncio.gather(*pending)

    def activations(self) -> int:
        """Activation records the answered requests made: one per invoke, two per fire (the
        trigger's and its rule's action's)."""
        ok = sum(c for (kind, s), c in self.statuses.items() if s in (200, 202))
        fires = sum(c for (kind, s), c in self.statuses.items() if kind == "fire" and s == 202)
        return ok + fires


async def settled(db_url: str, namespace: str, expected: int, within_s: float = 60) -> Counter[str]:
    """The namespace's records by status once none is pending and ``expected`` are there."""
    engine = create_async_engine(db_url)
    query = text(
        # a pending record has no status yet (a trigger's record has end 0 too, as OpenWhisk's)
        "SELECT COALESCE(CAST(status_code AS TEXT), 'pending'), "
        "count(*) FROM activations WHERE namespace = :ns GROUP BY 1"
    )
    deadline = time.monotonic() + within_s
    try:
        while True:
            async with engine.connect() as conn:
                rows = (await conn.execute(query, {"ns": namespace})).all()
            counts: Counter[str] = Counter({str(k): int(v) for k, v in rows})
            if (counts["pending"] == 0 and sum(counts.values()) >= expected) or (
                time.monotonic() > deadline
            ):
                return counts
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


# -- the soak ----------------------------------------------------------------------------------


def stem_cells() -> int:
    """The stem cells an invoker keeps (every runtime's ``initialCount``)."""
    manifest = json.loads(DEFAULT_RUNTIMES_MANIFEST.read_text())["runtimes"]
    return sum(
        cell.get("initialCount", 0)
        for family in manifest.values()
        for runtime in family
        for cell in runtime.get("stemCells", [])
    )


async def test_mixed_traffic_at_80_percent_keeps_memory_fds_and_containers_flat(
    cluster: Stack,
) -> None:
    key = cluster.new_namespace(
        invocationsPerMinute=1_000_000, concurrentInvocations=100_000, firesPerMinute=1_000_000
    )
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        caller = Caller(session, cluster.apihost, key)
        await caller.action("noop", NOOP, memory=ACTION_MB)
        for path, body in (
            ("triggers/tick", {}),
            ("rules/on-tick", {"trigger": "/_/tick", "action": "/_/noop"}),
        ):
            status, reply = await caller.call("PUT", path, body, overwrite="true")
            assert status == 200, reply
        status, me = await caller.call("GET", "actions/noop")
        namespace = me["namespace"]

        traffic = Traffic(caller)
        await traffic.closed_loop(CAPACITY_CLIENTS, 3.0)  # warm the pools
        measured_s = 6.0
        capacity = await traffic.closed_loop(CAPACITY_CLIENTS, measured_s) / measured_s
        rate = LOAD_SHARE * capacity
        await traffic.open_loop(rate, WARMUP_S)
    warm_records = await settled(cluster.db_url, namespace, traffic.activations())
    warm = await snapshot(cluster)

    soak = Traffic(caller)
    peaks = dict(warm.rss)
    sampler = asyncio.ensure_future(sample_rss(cluster, peaks))
    async with aiohttp.ClientSession(timeout=timeout) as session:
        soak.caller = Caller(session, cluster.apihost, key)
        await soak.open_loop(rate, SOAK_S)
    sampler.cancel()
    expected = traffic.activations() + soak.activations()
    records = await settled(cluster.db_url, namespace, expected)
    end = await snapshot(cluster)
    cluster.stop()
    left = {n: docker_containers(invoker_label(cluster, n)) for n in sorted(cluster.health)}

    sent = sum(soak.statuses.values())
    ok = sum(c for (_, s), c in soak.statuses.items() if s in (200, 202))
    throttled = sum(c for (_, s), c in soak.statuses.items() if s == 429)
    errors = sent - ok - throttled
    latencies = sorted(soak.blocking_ms)
    p50 = statistics.median(latencies) if latencies else 0.0
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0.0
    for i, name in enumerate(sorted(cluster.procs)):
        growth = end.rss[name] - warm.rss[name]
        traffic_cells: list[object] = (
            [f"{SOAK_S:.0f}", capacity, rate, sent, ok, throttled, errors, f"{p50:.0f}/{p99:.0f}"]
            if i == 0
            else [""] * 8
        )
        containers = f"{warm.docker[name]}/{end.docker[name]}" if name in warm.docker else "-"
        report(
            "load soak",
            HEADER,
            [name, *traffic_cells, warm.rss[name], peaks[name], end.rss[name], growth,
             f"{warm.fds[name]}/{end.fds[name]}", containers],
        )  # fmt: skip

    for statuses in (traffic.statuses, soak.statuses):
        assert all(s in (200, 202, 429) for _, s in statuses), statuses
    assert soak.behind == 0, f"{soak.behind} requests not sent: the stack fell behind"
    assert warm_records["pending"] == 0 and records["pending"] == 0, (warm_records, records)
    assert set(records) <= {"0", "pending"}, records  # every record a success
    assert sum(records.values()) == expected, (records, expected)
    for name in cluster.procs:
        growth = end.rss[name] - warm.rss[name]
        assert growth <= RSS_BOUND_MB, f"{name} grew {growth:.1f} MB"
        pool_growth = max(0, end.docker.get(name, 0) - warm.docker.get(name, 0))
        fd_bound = warm.fds[name] + FD_MARGIN + FDS_PER_CONTAINER * pool_growth
        assert end.fds[name] <= fd_bound, f"{name}: {warm.fds[name]} -> {end.fds[name]} fds"
    for name in sorted(cluster.health):
        assert end.docker[name] == end.pools[name], f"{name}: containers its pool lost track of"
        assert end.docker[name] <= INVOKER_MB // ACTION_MB + stem_cells(), end.docker
    assert left == {n: 0 for n in left}, f"containers left after the stack stopped: {left}"
