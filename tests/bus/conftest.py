"""Fixtures for the bus suite: one ``bus`` fixture over the in-process bus, the local broker
(an in-process bus served over a Unix socket) and a real Kafka.

Kafka comes from ``WHISK_TEST_KAFKA`` (``host:port[,host:port]``) or from
``scripts/kafka.sh start`` run once per session (stopped again at the end if this session
started it). When no broker can be had the Kafka cases skip, except under ``CI=true`` where
they fail with the script's output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from whisk.bus import Bus, open_bus
from whisk.bus.local import LocalBroker
from whisk.bus.memory import MemoryBus

REPO = Path(__file__).resolve().parents[2]
KAFKA_SCRIPT = REPO / "scripts" / "kafka.sh"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Kafka is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no Kafka broker: {reason}")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The bootstrap address of a real broker, started by scripts/kafka.sh if need be."""
    given = os.environ.get("WHISK_TEST_KAFKA")
    if given:
        yield given
        return
    running = subprocess.run(
        ["bash", str(KAFKA_SCRIPT), "status"], capture_output=True, text=True, check=False
    )
    try:
        started = subprocess.run(
            ["bash", str(KAFKA_SCRIPT), "start"],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"scripts/kafka.sh could not run: {exc}")
        return
    lines = started.stdout.strip().splitlines()
    if started.returncode != 0 or not lines:
        _unavailable(
            f"scripts/kafka.sh start exited {started.returncode}\n"
            f"{started.stdout}\n{started.stderr}"
        )
        return
    yield lines[-1]
    if running.returncode != 0:  # this session started it: leave the machine as it was
        subprocess.run(["bash", str(KAFKA_SCRIPT), "stop"], capture_output=True, check=False)


@pytest.fixture(params=["memory", "local", pytest.param("kafka", marks=pytest.mark.kafka)])
def bus_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "local":
        return "local:"  # the ``bus`` fixture starts a broker for it
    return "kafka://" + request.getfixturevalue("kafka_bootstrap")


@contextlib.asynccontextmanager
async def serving_local_broker() -> AsyncIterator[LocalBroker]:
    """A broker over a fresh in-process bus, on a socket in a short temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix="whisk-bus-"))
    broker = LocalBroker(MemoryBus(), directory / "bus.sock")
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()
        await broker.bus.close()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
async def local_broker() -> AsyncIterator[LocalBroker]:
    async with serving_local_broker() as broker:
        yield broker


@pytest.fixture
async def bus(bus_url: str) -> AsyncIterator[Bus]:
    async with contextlib.AsyncExitStack() as stack:
        if bus_url == "local:":
            bus_url = (await stack.enter_async_context(serving_local_broker())).url
        the_bus = open_bus(bus_url, client_id=f"test-{uuid.uuid4().hex[:6]}")
        yield the_bus
        await the_bus.close()


@pytest.fixture
async def memory_bus() -> AsyncIterator[MemoryBus]:
    the_bus = MemoryBus()
    yield the_bus
    await the_bus.close()


@pytest.fixture
def topic() -> str:
    """A topic name no other test uses (the Kafka broker is shared by the whole session)."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def group() -> str:
    return f"group-{uuid.uuid4().hex[:12]}"
