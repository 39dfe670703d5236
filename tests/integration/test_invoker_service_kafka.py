"""The invoker service over a real Kafka broker, on the process factory and on real Docker.

Kafka comes from ``tests/bus/conftest.py``'s ``kafka_bootstrap`` (``WHISK_TEST_KAFKA`` or
``scripts/kafka.sh start``); Docker from ``docker_engine`` in ``tests/integration/conftest.py``.
Without them the tests skip on a laptop and FAIL when ``CI=true``. Every test uses topics and
groups under a prefix of its own and an invoker number of its own (the broker and the Docker
engine are shared), and starts the invoker with its stem cells, as ``whisk-invoker`` does.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from invoker.main import FactoryChoice, InvokerSettings, build_invoker_service
from tests.bus.conftest import kafka_bootstrap  # noqa: F401  (the session fixture)
from whisk.bus import Bus, Consumer, open_bus, topics
from whisk.entities.action import Action
from whisk.entities.activation import ActivationId
from whisk.entities.exec import CodeExec
from whisk.entities.limits import ActionLimits
from whisk.entities.names import FullyQualifiedName
from whisk.messages import (
    ActionRef,
    ActivationMessage,
    CombinedCompletionAndResult,
    ControllerInstanceId,
    PingMessage,
    TransactionId,
    UserRef,
    parse_acknowledgement,
)
from whisk.store import open_store
from whisk.store.ports import Collection, EntityKey, Put, Store

pytestmark = pytest.mark.kafka

CODE = (
    "def main(args):\n    print('hi', args.get('name'))\n    return {'hello': args.get('name')}\n"
)


@pytest.fixture
def runtime_dir() -> Iterator[str]:
    path = tempfile.mkdtemp(prefix="wk", dir="/tmp")  # Unix socket paths must stay short
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=["process", pytest.param("docker", marks=pytest.mark.docker)])
def factory(request: pytest.FixtureRequest) -> FactoryChoice:
    if request.param == "docker":
        request.getfixturevalue("docker_engine")
        return FactoryChoice.DOCKER
    return FactoryChoice.PROCESS


@pytest.fixture
async def kafka(kafka_bootstrap: str) -> AsyncIterator[Bus]:  # noqa: F811
    bus = open_bus(f"kafka://{kafka_bootstrap}", client_id=f"test-{uuid.uuid4().hex[:6]}")
    yield bus
    await bus.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    persistence = await open_store(f"sqlite+aiosqlite:///{tmp_path}/w.db")
    yield persistence.store
    await persistence.close()


async def next_ack(consumer: Consumer) -> CombinedCompletionAndResult:
    while True:
        batch = await consumer.poll(1, timeout_s=1.0)
        if batch:
            ack = parse_acknowledgement(batch[0].value)
            assert isinstance(ack, CombinedCompletionAndResult)
            return ack


def message(n: int, blocking: bool, revision: int) -> ActivationMessage:
    accepted = time.time_ns() // 1_000_000
    return ActivationMessage(
        transid=TransactionId(f"kafka-{n}", accepted),
        action=ActionRef(path="guest", name="hello", version="0.0.1"),
        revision=str(revision),
        user=UserRef("guest", "guest"),
        activation_id=ActivationId.new().value,
        root_controller_index=ControllerInstanceId("0"),
        blocking=blocking,
        content={"name": f"kafka {n}"},
        wait_start_ms=accepted,
    )


async def test_invoker_service_over_kafka_runs_and_acks_activations(
    kafka: Bus, store: Store, factory: FactoryChoice, runtime_dir: str
) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    instance = random.randrange(100, 10_000)  # the container label invoker<N> is ours alone
    action = Action(
        FullyQualifiedName("guest", "hello"),
        CodeExec("python:3.11", CODE),
        limits=ActionLimits(timeout=30_000, memory=256),
    )
    stored = await store.put(
        Put(Collection.ACTIONS, EntityKey("guest", "hello"), action.to_stored())
    )
    settings = InvokerSettings(
        instance=instance,
        user_memory_mb=768,
        factory=factory,
        topic_prefix=prefix,
        runtime_dir=runtime_dir,
    )
    acks = await kafka.consumer(prefix + "completed0", prefix + "completed0")
    health = await kafka.consumer(topics.health_topic(prefix), prefix + "health0")
    service = await build_invoker_service(settings, kafka, store)
    producer = await kafka.producer()
    try:
        await service.start()
        blocking, quiet = message(1, True, stored.revision), message(2, False, stored.revision)
        await producer.send(topics.invoker_topic(instance, prefix), blocking.to_bytes())
        await producer.send(topics.invoker_topic(instance, prefix), quiet.to_bytes())

        got: dict[str, Any] = {}
        while len(got) < 2:
            ack = await next_ack(acks)
            got[ack.activation_id] = ack.response
        await service.drain()
    finally:
        await service.close()

    record = got[blocking.activation_id]
    assert isinstance(record, dict)
    assert record["response"]["result"] == {"hello": "kafka 1"}
    assert any("stdout: hi kafka 1" in line for line in record["logs"])
    assert got[quiet.activation_id] == quiet.activation_id
    stored_quiet = await store.get_activation("guest", quiet.activation_id)
    assert stored_quiet is not None and stored_quiet.status_code == 0
    assert stored_quiet.doc["response"]["result"] == {"hello": "kafka 2"}
    ping = PingMessage.from_bytes((await health.poll(1, timeout_s=10.0))[0].value)
    assert ping.invoker.instance == instance and ping.enabled is True
