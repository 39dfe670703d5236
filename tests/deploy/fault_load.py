"""The fault suite's instruments: load that keeps calling through a fault and writes down what
every caller was told, the settling of every accepted activation, the invokers' evidence of
what ran, recovery probes, and private Kafka brokers and PostgreSQL servers to break.

Nothing here asserts; ``tests/deploy/test_faults.py`` does, from a ``FaultOutcome``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.deploy.conftest import Caller
from tests.harness import ROOT, Stack

WHISK_ERROR = "whisk internal error"


@dataclass
class Ledger:
    """What callers were told. ``accepted``: activation id -> wall time its id came back (202,
    or a blocking 200/500/502 with the record). ``final``: id -> (status, wall time its final
    record was first seen, its ``start`` in seconds). ``refused``: clean refusals, by
    ``"<status> <error>"``. ``dropped``: connections that ended without an answer (only a
    killed controller may do that); ``unreachable``: connections refused (a controller
    down). ``unclean``: anything else (not OpenWhisk-shaped)."""

    accepted: dict[str, float] = field(default_factory=dict)
    final: dict[str, tuple[str, float, float]] = field(default_factory=dict)
    ends: dict[str, float] = field(default_factory=dict)  # id -> its record's end (seconds)
    errors: dict[str, str] = field(default_factory=dict)  # id -> a failed record's error
    refused: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    unreachable: int = 0
    unclean: list[str] = field(default_factory=list)
    blocking_answers: Counter[int] = field(default_factory=Counter)

    def note(self, status: int, reply: Any, blocking: bool) -> None:
        now = time.time()
        if blocking:
            self.blocking_answers[status] += 1
        # OpenWhisk's answers with an id: 202 (not waited for or not done in time), 200 (ran),
        # 502 (application error), 500 (whisk internal error, the record in the body)
        if status in (200, 202, 500, 502) and isinstance(reply, dict) and "activationId" in reply:
            aid = str(reply["activationId"])
            self.accepted[aid] = now
            if status != 202:
                self.saw(aid, reply, now)
        elif (
            status in (429, 503)
            and isinstance(reply, dict)
            and set(reply) == {"error", "code"}
            and isinstance(reply["error"], str)
            and reply["error"]
        ):
            self.refused[f"{status} {reply['error']}"] += 1
        else:
            self.unclean.append(f"{status} {str(reply)[:300]}")

    def saw(self, aid: str, record: dict[str, Any], at: float) -> None:
        status = record["response"]["status"]
        if status != "pending" and aid not in self.final:
            self.final[aid] = (status, at, record["start"] / 1000)
            self.ends[aid] = record["end"] / 1000
            if status != "success":
                result = record["response"].get("result")
                error = result.get("error") if isinstance(result, dict) else result
                self.errors[aid] = f"{status}: {error}"


class Load:
    """Callers that keep invoking while a fault happens: a stream of non-blocking invokes
    (``every_s`` apart, over ``names``) and ``blocking`` callers that invoke and wait in a
    loop. Stop it with ``stop``; what they were told is in ``ledger``."""

    def __init__(
        self,
        caller: Caller,
        names: list[str],
        *,
        every_s: float = 0.5,
        blocking: int = 2,
    ) -> None:
        self.caller = caller
        self.names = names
        self.every_s = every_s
        self.blocking = blocking
        self.ledger = Ledger()
        self.watcher = Watcher(caller, self.ledger)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._n = 0

    def start(self) -> None:
        self.watcher.start()
        self._tasks.append(asyncio.create_task(self._stream()))
        for b in range(self.blocking):
            self._tasks.append(asyncio.create_task(self._blocking(b)))

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    def _next(self) -> tuple[str, dict[str, int]]:
        self._n += 1
        return self.names[self._n % len(self.names)], {"i": self._n}

    async def invoke(self, blocking: bool) -> None:
        name, args = self._next()
        try:
            params = {"blocking": "true"} if blocking else {}
            status, reply = await self.caller.call("POST", f"actions/{name}", args, **params)
        except aiohttp.ClientConnectorError:
            self.ledger.unreachable += 1  # nothing was sent: the controller is away
            await asyncio.sleep(0.5)
            return
        except (TimeoutError, aiohttp.ClientConnectionError):
            self.ledger.dropped += 1
            await asyncio.sleep(0.5)  # the controller is away: do not spin
            return
        self.ledger.note(status, reply, blocking)
        if status >= 500 and status != 502:
            await asyncio.sleep(0.2)

    async def _stream(self) -> None:
        tasks: set[asyncio.Task[None]] = set()
        while not self._stop.is_set():
            task = asyncio.create_task(self.invoke(False))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.every_s)
        await asyncio.gather(*tasks)

    async def _blocking(self, index: int) -> None:
        await asyncio.sleep(index * 0.4)
        while not self._stop.is_set():
            await self.invoke(True)


class Watcher:
    """Reads the record of every accepted activation until it is final, from the start of the
    load on (a record's first final reading is when it became final, within a poll)."""

    def __init__(self, caller: Caller, ledger: Ledger) -> None:
        self.caller = caller
        self.ledger = ledger
        self.extra: set[str] = set()  # ids found otherwise (the namespace's listing)
        self._stop = asyncio.Event()
        self._settling = False
        self._settled = asyncio.Event()  # settling, and nothing waits any more
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    def waiting(self) -> list[str]:
        return [a for a in [*self.ledger.accepted, *self.extra] if a not in self.ledger.final]

    async def _read(self, aid: str) -> None:
        try:
            code, record = await self.caller.call("GET", f"activations/{aid}")
        except (TimeoutError, aiohttp.ClientConnectionError):
            return
        if code == 200 and isinstance(record, dict):
            self.ledger.saw(aid, record, time.time())

    async def _watch(self) -> None:
        while not self._stop.is_set():
            waiting = self.waiting()
            for at in range(0, len(waiting), 8):
                await asyncio.gather(*(self._read(a) for a in waiting[at : at + 8]))
            if self._settling and not self.waiting():
                self._settled.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 0.3)

    async def changed(self) -> dict[str, tuple[str, str]]:
        """Final records read again: those whose status is no longer the one first read
        (id -> (first, now)). A final record should never change."""
        changed: dict[str, tuple[str, str]] = {}

        async def again(aid: str, first: str) -> None:
            code, record = await self.caller.call("GET", f"activations/{aid}")
            if code == 200 and record["response"]["status"] != first:
                changed[aid] = (first, record["response"]["status"])

        final = [(aid, status) for aid, (status, _, _) in self.ledger.final.items()]
        for at in range(0, len(final), 8):
            await asyncio.gather(*(again(aid, first) for aid, first in final[at : at + 8]))
        return changed

    async def settle(self, give_up_at: float) -> list[str]:
        """Wait until every id's record is final, or wall time ``give_up_at``; then stop.
        Returns the ids still without a final record (lost)."""
        self._settling = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), max(0.0, give_up_at - time.time()))
        self._stop.set()
        if self._task is not None:
            await self._task
        return self.waiting()


async def listed_ids(caller: Caller) -> set[str]:
    """Every activation of the caller's namespace, pending ones included."""
    ids: set[str] = set()
    skip = 0
    while True:
        code, page = await caller.call(
            "GET", "activations", limit="200", skip=str(skip), pending="true"
        )
        assert code == 200, page
        ids.update(str(r["activationId"]) for r in page)
        if len(page) < 200:
            return ids
        skip += 200


def taken_by_invokers(stack: Stack) -> Counter[str]:
    """How many times each activation id was accepted by an invoker process, from every
    invoker's log (a restarted invoker appends to the same log): evidence of what ran."""
    taken: Counter[str] = Counter()
    for name, path in stack.logs.items():
        if not name.startswith("invoker") or not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            if '"activation accepted"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == "activation accepted":
                taken[str(entry["activation_id"])] += 1
    return taken


async def recovery_s(
    caller: Caller, name: str, since: float, give_up_s: float, ledger: Ledger | None = None
) -> float | None:
    """Seconds after ``since`` (wall time) until a blocking invoke of ``name`` answers 200;
    None if not within ``give_up_s``. ``ledger``: where to note the answers (probes in a counted
    namespace)."""
    while time.time() - since < give_up_s:
        try:
            status, reply = await caller.call(
                "POST", f"actions/{name}", {"probe": 1}, blocking="true"
            )
        except (TimeoutError, aiohttp.ClientConnectionError):
            status, reply = 0, None
        if ledger is not None and status:
            ledger.note(status, reply, True)
        if status == 200:
            return time.time() - since
        await asyncio.sleep(0.5)
    return None


def auth_header(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode()}


# -- private services to break ----------------------------------------------------------------


def _script(script: str, command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / script), command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@dataclass(frozen=True)
class PrivateKafka:
    port: int
    state: Path

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def run(self, command: str) -> None:
        env = {"WHISK_KAFKA_PORT": str(self.port), "WHISK_KAFKA_DIR": str(self.state)}
        done = _script("kafka.sh", command, env)
        said = [line for line in done.stderr.splitlines() if line.startswith("kafka.sh:")]
        assert done.returncode == 0, f"kafka.sh {command}: {said} {done.stderr[-1500:]}"


@dataclass(frozen=True)
class PrivatePostgres:
    port: int
    state: Path

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://whisk:whisk@127.0.0.1:{self.port}/whisk"

    def run(self, command: str) -> None:
        env = {"WHISK_PG_PORT": str(self.port), "WHISK_PG_DIR": str(self.state)}
        done = _script("postgres.sh", command, env)
        assert done.returncode == 0, f"postgres.sh {command}: {done.stderr[-3000:]}"


@contextlib.contextmanager
def small_disk(path: Path, size: str = "4m", inodes: int = 256) -> Iterator[Path]:
    """A tmpfs of ``size`` and ``inodes`` mounted on ``path`` (root only); always unmounted."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},nr_inodes={inodes},mode=0777", "tmpfs",
         str(path)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        yield path
    finally:
        for _ in range(20):
            done = subprocess.run(["umount", str(path)], capture_output=True, check=False)
            if done.returncode == 0:
                break
            time.sleep(0.5)
        else:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(disk: Path) -> list[Path]:
    """Fill ``disk``: its bytes with one file, then its inodes with empty ones."""
    made = [disk / "filler"]
    with contextlib.suppress(OSError), open(made[0], "wb") as out:
        block = b"\0" * 65536
        while True:
            out.write(block)
            out.flush()
    for n in range(100_000):
        path = disk / f"filler{n}"
        try:
            path.touch()
        except OSError:
            break
        made.append(path)
    return made


def free(made: list[Path]) -> None:
    for path in made:
        with contextlib.suppress(OSError):
            path.unlink()
