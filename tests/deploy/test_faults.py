"""The fault table (issue #13 item 1): faults on the distributed deployment (one controller,
two invokers, Kafka and PostgreSQL as real processes, actions in Docker when it answers),
each under load: a stream of non-blocking invokes (one every 0.5 s over four actions that
sleep 1.5 s, time limit 10 s) and blocking callers invoking in a loop, through the fault.

What every row asserts, for every activation the system accepted (its caller got an id; for
a controller killed with callers cut off, also every record of the namespace: they got no id):

- **lost = 0**: it has a final record (its result, or ``whisk internal error``) within its
  time limit plus 10 s of the later of its start and the fault's end (the kill; the broker,
  database or controller started again; the disk freed), as first read through the API;
- **duplicated = 0**: no invoker accepted it twice (every invoker's log, across restarts;
  for the full disk also the invokers' own activation counters, since that invoker's log
  lines are dropped while its disk is full), and nothing ran that its caller was refused;
- **changed-after-final = 0**: a final record, read again at the end, has not changed;
- callers get clean answers: an activation id (202, or a blocking 200/500/502 with the
  record), or an OpenWhisk error body ``{"error", "code"}`` with 429 or 503; a refused
  connection while a controller is down; a connection cut without an answer only when the
  controller itself is killed (``kill -9``);
- it serves again (a blocking invoke answers 200) within the row's recovery bound after the
  fault ends.

The faults and what each promises (bounds generous for a loaded 2-core machine):

1. ``kill -9 invoker`` mid-run: its accepted work ends as ``whisk internal error`` ("its
   invoker stopped answering") once its silence is noticed (the ping timeout, 3 s here); the
   survivor serves at once (recovery bound: ping timeout + 10 s).
2. ``controller SIGTERM`` / ``controller kill -9``, restarted at once, blocking callers
   waiting and non-blocking work in flight: the invokers finish what was published and write
   its records; a waiting caller gets its activation id (202) on SIGTERM, a cut connection on
   kill -9; the restarted controller serves the records (recovery bound 30 s from the restart).
3. ``Kafka stopped`` (a private broker, stopped for ``OUTAGE_S``, started again): invokes
   answer 503 while it is away; work taken before ends with a record (recovery bound 60 s
   from the broker's restart: clients reconnect, consumer groups rejoin).
4. ``PostgreSQL stopped`` (a private server, stopped for ``OUTAGE_S``): requests that need the
   database answer 503, invokes answered from caches keep being accepted; records wait in
   memory (write-behind) and land when it is back (recovery bound 30 s).
5. ``invoker disk full`` (a tmpfs holding one invoker's socket directories and its own log,
   filled, blocks and inodes, for ``OUTAGE_S``): a container it cannot start ends as ``whisk
   internal error`` naming the cause ("... No space left on device."); warm containers keep
   serving; its log lines are dropped and counted, never raised; new actions run again once
   the disk has room (recovery bound 60 s: the invoker's health probe cool-down, cold starts).

The table (``tests/reliability_report.py``) is printed in pytest's terminal summary.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.deploy.conftest import ECHO, Caller
from tests.deploy.fault_load import (
    WHISK_ERROR,
    Ledger,
    Load,
    PrivateKafka,
    PrivatePostgres,
    fill,
    free,
    listed_ids,
    recovery_s,
    small_disk,
    taken_by_invokers,
)
from tests.harness import Stack, free_port, start_distributed
from tests.metrics_text import samples
from tests.reliability_report import report

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.postgres,
    pytest.mark.reliability,
    pytest.mark.timeout(300),  # a stack, often a broker or a server, then the fault
]

FAULT_HEADER = (
    "fault", "accepted", "completed", "failed-with-record", "lost", "duplicated",
    "settled-after", "recovery", "changed-after-final",
)  # fmt: skip
PING_TIMEOUT_S = 3
TIMEOUT_MS = 10_000  # init on a loaded 2-core machine can take 5 s
SETTLE_BOUND_S = TIMEOUT_MS / 1000 + 10  # the bound, per activation
OUTAGE_S = 8
WORK = "import time\ndef main(args):\n    time.sleep(1.5)\n    return {'i': args.get('i')}\n"
NAMES = [f"work{i}" for i in range(4)]  # several actions: homes on both invokers
STACK_ENV = {
    "WHISK_LB_PING_TIMEOUT_S": str(PING_TIMEOUT_S),
    "WHISK_LOG_LEVEL": "debug",  # the invokers' "activation accepted" lines are the evidence
}


@dataclass
class Clients:
    load: Caller  # the load's namespace: everything in it is counted
    probe: Caller  # recovery probes, in a namespace of their own
    probes: Ledger  # what the probes were told

    async def recovery_s(self, since: float, give_up_s: float) -> float | None:
        return await recovery_s(self.probe, "echo", since, give_up_s, self.probes)


async def clients(stack: Stack, session: aiohttp.ClientSession) -> Clients:
    limits = {"invocationsPerMinute": 10_000, "concurrentInvocations": 1_000}
    keys = await asyncio.gather(  # two ``whisk admin`` processes at once
        *(asyncio.to_thread(stack.new_namespace, **limits) for _ in range(2))
    )
    load, probe = (Caller(session, stack.apihost, key) for key in keys)
    await asyncio.gather(
        *(load.action(name, WORK, timeout=TIMEOUT_MS, memory=128) for name in NAMES),
        probe.action("echo", ECHO, memory=128),
    )
    return Clients(load, probe, Ledger())


async def warm(c: Clients, load: Load) -> None:
    """One run of every action, so the fault meets warm containers and cached entities."""

    async def one(name: str) -> None:
        status, reply = await c.load.call("POST", f"actions/{name}", {"i": 0}, blocking="true")
        assert status == 200, reply
        load.ledger.note(status, reply, True)

    await asyncio.gather(*(one(name) for name in NAMES))
    assert (await c.recovery_s(time.time(), 30)) is not None


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=90, sock_connect=5)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        yield s


async def conclude(
    fault: str,
    stack: Stack,
    c: Clients,
    load: Load,
    *,
    fault_at: float,
    cleared_at: float,
    recovered_s: float | None,
    recovery_bound_s: float,
    dropped_allowed: bool = False,
    runs_counted: int | None = None,
) -> tuple[Counter[str], Counter[str]]:
    """Settle every accepted activation, print the row, assert the guarantees. Times are wall
    clock (``time.time()``), as the records' ``start``. Returns the final statuses and the
    clean refusals, for the fault's own assertions."""
    ledger = load.ledger
    if ledger.dropped:  # callers cut off without an id: their records are in the listing
        load.watcher.extra |= await listed_ids(c.load) - set(ledger.accepted)
    lost = await load.watcher.settle(give_up_at=time.time() + SETTLE_BOUND_S + 30)
    changed = await load.watcher.changed()
    ids = set(ledger.accepted) | load.watcher.extra
    # seconds from the later of the fault's end and the activation's start to its record
    # (first seen final; for records found in the listing only at the end, their own end)
    extra = load.watcher.extra
    lateness = {
        aid: (ledger.ends[aid] if aid in extra else seen) - max(start, cleared_at)
        for aid, (_, seen, start) in ledger.final.items()
    }
    late = {aid: round(s, 1) for aid, s in lateness.items() if s > SETTLE_BOUND_S}
    taken = taken_by_invokers(stack)
    duplicated = {aid: n for aid, n in taken.items() if n > 1}
    phantom = set(taken) - ids - set(c.probes.accepted)  # ran, though its caller was refused
    dup_count = len(duplicated)
    if runs_counted is not None:
        dup_count = max(dup_count, runs_counted - len(ids))
    statuses = Counter(status for status, _, _ in ledger.final.values())
    report(
        "fault table",
        FAULT_HEADER,
        [fault, len(ids), statuses["success"], sum(statuses.values()) - statuses["success"],
         len(lost), dup_count, f"{max(lateness.values(), default=0):.1f}s",
         "never" if recovered_s is None else f"{recovered_s:.1f}s", len(changed)],
    )  # fmt: skip
    outage = cleared_at - fault_at
    assert not lost, f"lost (still pending): {lost}"
    assert not changed, f"final records that changed: {changed}"
    assert not late, f"final later than {SETTLE_BOUND_S} s after the fault ended: {late}"
    assert set(statuses) <= {"success", WHISK_ERROR}, {
        aid: error for aid, error in ledger.errors.items() if not error.startswith(WHISK_ERROR)
    }
    assert not duplicated, f"accepted twice by invokers: {duplicated}"
    assert runs_counted is None or runs_counted <= len(ids), (runs_counted, len(ids))
    assert not ledger.unclean, ledger.unclean
    assert not phantom, f"ran though refused: {phantom}; refusals {ledger.refused}"
    assert dropped_allowed or ledger.dropped == 0, ledger.dropped
    assert recovered_s is not None, f"no recovery within the bound (outage {outage:.1f}s)"
    assert recovered_s <= recovery_bound_s, recovered_s
    return statuses, ledger.refused


# -- 1. kill -9 an invoker mid-run ----------------------------------------------------------


@pytest.fixture
def two_invokers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    kafka = request.getfixturevalue("kafka_bootstrap")
    pg = request.getfixturevalue("postgres_url")
    running = start_distributed(
        tmp_path_factory.mktemp("faults"), pg, kafka, invokers=2, extra_env=STACK_ENV
    )
    try:
        yield running
    finally:
        running.stop()


async def test_kill_9_invoker_mid_run(two_invokers: Stack, session: aiohttp.ClientSession) -> None:
    stack = two_invokers
    c = await clients(stack, session)
    load = Load(c.load, NAMES)
    await warm(c, load)
    load.start()
    await asyncio.sleep(1.5)
    for i, name in enumerate(NAMES * 2):  # a burst: both invokers busy when the kill comes
        status, reply = await c.load.call("POST", f"actions/{name}", {"burst": i})
        load.ledger.note(status, reply, False)
    await asyncio.sleep(0.7)
    fault_at = time.time()
    stack.kill("invoker0")
    recovered = await c.recovery_s(fault_at, 30)
    await asyncio.sleep(2)
    await load.stop()
    statuses, _ = await conclude(
        "kill -9 invoker", stack, c, load,
        fault_at=fault_at, cleared_at=fault_at, recovered_s=recovered,
        recovery_bound_s=PING_TIMEOUT_S + 10,
    )  # fmt: skip
    assert statuses[WHISK_ERROR] > 0  # the kill did hit running work


# -- 2. a controller restarted while callers wait -------------------------------------------


@pytest.mark.parametrize("how", ["SIGTERM", "kill -9"])
async def test_controller_restarted_with_callers_waiting(
    two_invokers: Stack, session: aiohttp.ClientSession, how: str
) -> None:
    stack = two_invokers
    c = await clients(stack, session)
    load = Load(c.load, NAMES, blocking=4)
    await warm(c, load)
    load.start()
    await asyncio.sleep(2.5)
    fault_at = time.time()
    if how == "kill -9":
        stack.kill("controller0")
    else:
        assert await asyncio.to_thread(stack.terminate, "controller0") == 0
    cleared_at = time.time()
    await asyncio.to_thread(stack.restart, "controller0", f"{stack.apihost}/ping")
    recovered = await c.recovery_s(cleared_at, 60)
    await asyncio.sleep(2)
    await load.stop()
    await conclude(
        f"controller {how}", stack, c, load,
        fault_at=fault_at, cleared_at=cleared_at, recovered_s=recovered,
        recovery_bound_s=30, dropped_allowed=True,
    )  # fmt: skip
    if how == "SIGTERM":  # callers waiting when it stopped got their ids, not cut off
        assert load.ledger.blocking_answers[202] > 0, load.ledger.blocking_answers


async def service_outage(
    fault: str,
    stack: Stack,
    session: aiohttp.ClientSession,
    service: Callable[[str], object],
    *,
    recovery_wait_s: float,
    recovery_bound_s: float,
) -> tuple[Counter[str], Counter[str]]:
    """Load through ``service("stop")``, ``OUTAGE_S`` of outage and ``service("start")``; the
    row for ``fault`` concluded (``conclude``'s answer)."""
    c = await clients(stack, session)
    load = Load(c.load, NAMES)
    await warm(c, load)
    load.start()
    await asyncio.sleep(2.5)
    fault_at = time.time()
    await asyncio.to_thread(service, "stop")
    await asyncio.sleep(OUTAGE_S)
    await asyncio.to_thread(service, "start")
    cleared_at = time.time()
    recovered = await c.recovery_s(cleared_at, recovery_wait_s)
    await asyncio.sleep(2)
    await load.stop()
    return await conclude(
        fault, stack, c, load,
        fault_at=fault_at, cleared_at=cleared_at, recovered_s=recovered,
        recovery_bound_s=recovery_bound_s,
    )  # fmt: skip


# -- 3. Kafka stopped and restarted under load ----------------------------------------------


@pytest.fixture
def kafka_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, PrivateKafka]]:
    request.getfixturevalue("kafka_bootstrap")  # the jars are fetched (or CI fails here)
    pg = request.getfixturevalue("postgres_url")
    broker = PrivateKafka(free_port(), tmp_path_factory.mktemp("kafka-fault"))
    broker.run("start")
    try:
        stack = start_distributed(
            tmp_path_factory.mktemp("faults-kafka"), pg, broker.bootstrap, extra_env=STACK_ENV
        )
        try:
            yield stack, broker
        finally:
            stack.stop()
    finally:
        broker.run("stop")


async def test_kafka_stopped_and_restarted_under_load(
    kafka_stack: tuple[Stack, PrivateKafka], session: aiohttp.ClientSession
) -> None:
    stack, broker = kafka_stack
    _, refused = await service_outage(
        "Kafka stopped", stack, session, broker.run, recovery_wait_s=90, recovery_bound_s=60
    )
    assert any(r.startswith("503 ") for r in refused), refused  # the outage was felt


# -- 4. PostgreSQL stopped and restarted under load -----------------------------------------


@pytest.fixture
def postgres_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, PrivatePostgres]]:
    kafka = request.getfixturevalue("kafka_bootstrap")
    request.getfixturevalue("postgres_url")  # PostgreSQL is installed (or CI fails here)
    # not under pytest's temporary directory: the server runs as the postgres user
    server = PrivatePostgres(free_port(), Path(tempfile.mkdtemp(prefix="whisk-pg-fault-")))
    server.run("start")
    try:
        stack = start_distributed(
            tmp_path_factory.mktemp("faults-pg"), server.url, kafka, extra_env=STACK_ENV
        )
        try:
            yield stack, server
        finally:
            stack.stop()
    finally:
        server.run("stop")
        shutil.rmtree(server.state, ignore_errors=True)
        Path(f"{server.state}.lock").unlink(missing_ok=True)  # postgres.sh's start lock


async def test_postgres_stopped_and_restarted_under_load(
    postgres_stack: tuple[Stack, PrivatePostgres], session: aiohttp.ClientSession
) -> None:
    stack, server = postgres_stack
    await service_outage(
        "PostgreSQL stopped", stack, session, server.run, recovery_wait_s=60, recovery_bound_s=30
    )


# -- 5. the invoker's disk full -------------------------------------------------------------


@pytest.fixture
def disk_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Path, list[int]]]:
    kafka = request.getfixturevalue("kafka_bootstrap")
    pg = request.getfixturevalue("postgres_url")
    home = tmp_path_factory.mktemp("faults-disk")
    ports = [free_port(), free_port()]
    with small_disk(home / "disk0") as disk:
        stack = start_distributed(
            home, pg, kafka, extra_env=STACK_ENV,
            invoker_env={
                0: {"WHISK_INVOKER_RUNTIME_DIR": str(disk / "run"),
                    "WHISK_INVOKER_HEALTH_PORT": str(ports[0])},
                1: {"WHISK_INVOKER_HEALTH_PORT": str(ports[1])},
            },
            log_dirs={"invoker0": disk},
        )  # fmt: skip
        try:
            yield stack, disk, ports
        finally:
            stack.stop()
            saved = home / "invoker0.log"  # the disk goes with the unmount: keep its log
            shutil.copyfile(disk / "invoker0.log", saved)
            stack.logs["invoker0"] = saved


async def runs_counted(session: aiohttp.ClientSession, ports: list[int], namespace: str) -> int:
    """Activations the invokers completed for ``namespace``, from their own counters."""
    total = 0
    for port in ports:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
            text = await resp.text()
        for labels, value in samples(text).get("openwhisk_namespace_activations_total", []):
            if labels.get("namespace") == namespace:
                total += int(value)
    return total


async def test_invoker_disk_full(
    disk_stack: tuple[Stack, Path, list[int]], session: aiohttp.ClientSession
) -> None:
    stack, disk, ports = disk_stack
    c = await clients(stack, session)
    cold = [f"cold{i}" for i in range(4)]  # new actions: they need new containers
    load = Load(c.load, NAMES + cold)
    await warm(c, load)
    fillers = fill(disk)
    fault_at = time.time()
    try:
        for name in cold:
            await c.load.action(name, WORK, timeout=TIMEOUT_MS, memory=128)
        load.start()
        await asyncio.sleep(OUTAGE_S)
    finally:
        free(fillers)
    cleared_at = time.time()
    # every new action runs again (cold starts work on both invokers), probed at once
    each = await asyncio.gather(
        *(recovery_s(c.load, name, cleared_at, 60, load.ledger) for name in cold)
    )
    recovered = None if None in each else max(t for t in each if t is not None)
    await asyncio.sleep(2)
    await load.stop()
    _, some = await c.load.call("GET", f"activations/{next(iter(load.ledger.accepted))}")
    namespace = some["namespace"]
    counted = await runs_counted(session, ports, namespace)
    await conclude(
        "invoker disk full", stack, c, load,
        fault_at=fault_at, cleared_at=cleared_at, recovered_s=recovered, recovery_bound_s=60,
        runs_counted=counted,
    )  # fmt: skip
