"""The invoker service end to end on the in-process bus, a real store and the process factory.

A test publishes real ``ActivationMessage``s on ``invoker0`` for actions stored in a memory or
SQLite store, and reads the acks from ``completed0`` as a controller would. Nothing here
depends on time: waits are for events (acks, the service's own counters), bounded by the
pytest timeout.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from invoker.main import FactoryChoice, InvokerSettings, build_invoker_service
from invoker.service import ACTION_NOT_FOUND, InvokerService
from whisk.bus import Consumer, topics
from whisk.bus.memory import MemoryBus
from whisk.entities.action import Action
from whisk.entities.activation import Activation, ActivationId, annotation
from whisk.entities.exec import CodeExec
from whisk.entities.limits import ActionLimits
from whisk.entities.names import FullyQualifiedName
from whisk.entities.parameters import KeyValue, Parameters
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
from whisk.store.ports import ActivationRecord, Collection, EntityKey, Put, Store, StoredEntity

GREET = """
import os
def main(args):
    print("greeting", args.get("name"))
    return {"greeting": "hello " + args.get("name", "world"), "secret": os.environ.get("SECRET")}
"""
# Appends one line per run to args["counter"], so a test can count runs; sleeps args["sleep"].
COUNTED = """
import time
def main(args):
    with open(args["counter"], "a") as f:
        f.write("run\\n")
    time.sleep(args.get("sleep", 0))
    return {"ok": True}
"""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Stack:
    """One in-process stack: bus, store, and helpers that play the controller's part."""

    bus: MemoryBus
    store: Store
    runtime_dir: str
    services: list[InvokerService]

    async def service(self, store: Store | None = None, **changes: Any) -> InvokerService:
        settings = InvokerSettings(
            instance=0,
            user_memory_mb=512,
            factory=FactoryChoice.PROCESS,
            stem_cells=False,
            runtime_dir=self.runtime_dir,
        ).with_changes(**changes)
        service = await build_invoker_service(settings, self.bus, store or self.store)
        self.services.append(service)
        await service.start()
        return service

    async def action(
        self, name: str, code: str, *, memory: int = 128, package: str | None = None, **kw: Any
    ) -> StoredEntity:
        action = Action(
            fqn=FullyQualifiedName("guest", name, package),
            exec=CodeExec("python:3.11", code),
            limits=ActionLimits(timeout=30_000, memory=memory),
            **kw,
        )
        key = EntityKey("guest", name, package)
        return await self.store.put(Put(Collection.ACTIONS, key, action.to_stored()))

    async def publish(
        self,
        stored: StoredEntity | None,
        *,
        name: str = "missing",
        blocking: bool = True,
        content: dict[str, Any] | None = None,
        activation_id: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> ActivationMessage:
        """Write the pending record, then publish the message, as the controller does."""
        accepted = now_ms()
        aid = activation_id or ActivationId.new().value
        path = "guest"
        if stored is not None:
            name = stored.key.name
            path = f"guest/{stored.key.package}" if stored.key.package else "guest"
        pending = Activation.pending(
            namespace="guest",
            name=name,
            version="0.0.1",
            subject="guest",
            activation_id=ActivationId(aid),
            start=accepted,
            annotations=[annotation("path", f"{path}/{name}")],
        )
        await self.store.put_activation(
            ActivationRecord(aid, "guest", name, None, accepted, 0, None, pending.to_stored_doc())
        )
        message = ActivationMessage(
            transid=TransactionId("tid-" + aid[:6], accepted),
            action=ActionRef(path=path, name=name, version="0.0.1"),
            revision=str(stored.revision) if stored is not None else "1",
            user=UserRef("guest", "guest", "uuid-guest"),
            activation_id=aid,
            root_controller_index=ControllerInstanceId("0"),
            blocking=blocking,
            content=content if content is not None else {},
            wait_start_ms=accepted,
            **(fields or {}),
        )
        await self.send(message.to_bytes())
        return message

    async def send(self, value: bytes) -> None:
        producer = await self.bus.producer()
        await producer.send(topics.invoker_topic(0), value)


@pytest.fixture
def runtime_dir() -> Iterator[str]:
    path = tempfile.mkdtemp(prefix="wi", dir="/tmp")  # Unix socket paths must stay short
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite+aiosqlite:///{tmp_path}/w.db"
    persistence = await open_store(url)
    yield persistence.store
    await persistence.close()


@pytest.fixture
async def stack(store: Store, runtime_dir: str) -> AsyncIterator[Stack]:
    bus = MemoryBus()
    the_stack = Stack(bus, store, runtime_dir, [])
    yield the_stack
    for service in the_stack.services:
        await service.close()
    await bus.close()


@pytest.fixture
async def acks(stack: Stack) -> Consumer:
    return await stack.bus.consumer(topics.completed_topic(0), topics.completed_group(0))


async def next_ack(consumer: Consumer) -> CombinedCompletionAndResult:
    while True:
        batch = await consumer.poll(1, timeout_s=1.0)
        if batch:
            ack = parse_acknowledgement(batch[0].value)
            assert isinstance(ack, CombinedCompletionAndResult)
            return ack


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait for a condition the service reaches on its own (bounded by the test timeout).
    The state watched (bus offsets, feed counters) has no event to wait on."""
    while not condition():  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def record_of(store: Store, aid: str) -> dict[str, Any]:
    found = await store.get_activation("guest", aid)
    assert found is not None
    return found.doc


def notes(doc: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: a["value"] for a in doc["annotations"]}


# -- tests ------------------------------------------------------------------------------------


async def test_invoker_service_acks_a_blocking_activation_with_its_stored_record(
    stack: Stack, acks: Consumer
) -> None:
    params = Parameters((KeyValue("SECRET", "s3", init=True),))
    stored = await stack.action("greet", GREET, parameters=params)
    await stack.service()
    binding = annotation("binding", "guest/mybinding")
    message = await stack.publish(
        stored,
        content={"name": "whisk"},
        fields={"annotations": (binding,), "api_key": "uuid:key"},
    )

    ack = await next_ack(acks)

    assert ack.activation_id == message.activation_id
    assert ack.is_system_error is False
    assert ack.invoker.instance == 0
    assert isinstance(ack.response, dict)
    assert ack.response["response"]["statusCode"] == 0
    assert ack.response["response"]["result"] == {"greeting": "hello whisk", "secret": "s3"}
    doc = await record_of(stack.store, message.activation_id)
    assert doc == ack.response  # the pending record was replaced before the ack
    assert doc["end"] >= doc["start"] > 0
    assert any("stdout: greeting whisk" in line for line in doc["logs"])
    found = notes(doc)
    assert found["path"] == "guest/greet"
    assert found["kind"] == "python:3.11"
    assert found["binding"] == "guest/mybinding"
    assert "initTime" in found and found["waitTime"] >= 0
    record = await stack.store.get_activation("guest", message.activation_id)
    assert record is not None and record.package == "mybinding" and record.status_code == 0


async def test_invoker_service_shrinks_the_ack_of_a_non_blocking_activation(
    stack: Stack, acks: Consumer
) -> None:
    stored = await stack.action("greet", GREET, package="tools")
    await stack.service()

    message = await stack.publish(stored, blocking=False, content={"name": "again"})
    ack = await next_ack(acks)

    assert ack.response == message.activation_id
    doc = await record_of(stack.store, message.activation_id)
    assert doc["response"]["result"]["greeting"] == "hello again"
    assert notes(doc)["path"] == "guest/tools/greet"


async def test_invoker_service_records_a_missing_action_as_an_application_error(
    stack: Stack, acks: Consumer
) -> None:
    await stack.service()

    message = await stack.publish(None, name="nothing")
    ack = await next_ack(acks)

    assert ack.is_system_error is False
    assert isinstance(ack.response, dict)
    assert ack.response["response"] == {"statusCode": 1, "result": {"error": ACTION_NOT_FOUND}}
    doc = await record_of(stack.store, message.activation_id)
    assert doc["response"]["statusCode"] == 1


async def test_invoker_service_meters_each_completed_activation_once(
    stack: Stack, acks: Consumer
) -> None:
    stored = await stack.action("greet", GREET, memory=128)
    service = await stack.service()
    docs, messages = [], []
    for _ in range(2):  # cold, then warm
        messages.append(await stack.publish(stored, content={"name": "m"}))
        await next_ack(acks)
        docs.append(await record_of(stack.store, messages[-1].activation_id))
    await stack.send(messages[-1].to_bytes())  # a redelivery is not metered again
    await eventually(lambda: service.feed is not None and service.feed.polled == 3)
    missing = await stack.publish(None, name="nothing")
    await next_ack(acks)
    await service.drain()

    rows = {u.action: u for u in await stack.store.list_usage("guest")}
    assert set(rows) == {"greet", "nothing"}
    greet = rows["greet"]
    billed = sum(max(1, d["end"] - d["start"]) for d in docs)
    assert (greet.activations, greet.billed_ms, greet.mb_ms) == (2, billed, billed * 128)
    assert (greet.cold_starts, greet.errors) == (1, 0)
    assert "initTime" in notes(docs[0]) and "initTime" not in notes(docs[1])
    nothing = rows["nothing"]  # never ran: counted and an error, not billed
    assert (nothing.activations, nothing.billed_ms, nothing.errors) == (1, 0, 1)
    assert (await record_of(stack.store, missing.activation_id))["response"]["statusCode"] == 1


async def test_invoker_service_runs_a_redelivered_activation_once(
    stack: Stack, acks: Consumer, tmp_path: Path
) -> None:
    counter = tmp_path / "runs"
    stored = await stack.action("counted", COUNTED)
    service = await stack.service()

    message = await stack.publish(stored, content={"counter": str(counter)})
    await stack.send(message.to_bytes())  # the same activation id again
    await next_ack(acks)
    assert service.feed is not None
    await eventually(lambda: service.feed is not None and service.feed.polled == 2)
    await service.drain()

    assert service.skipped_duplicates == 1
    assert counter.read_text().splitlines() == ["run"]
    assert await acks.poll(10, timeout_s=0.1) == []


async def test_invoker_service_takes_from_the_bus_only_what_the_pool_can_run(
    stack: Stack, acks: Consumer, tmp_path: Path
) -> None:
    # Given room for one 128 MB container and three activations of a slow 128 MB action
    stored = await stack.action("slow", COUNTED, memory=128)
    service = await stack.service(user_memory_mb=128)
    args = {"counter": str(tmp_path / "runs"), "sleep": 0.3}
    sent = [await stack.publish(stored, content=args) for _ in range(3)]

    # When all of them completed
    done = {(await next_ack(acks)).activation_id for _ in sent}

    # Then the service never held more than one activation taken from the bus
    assert done == {m.activation_id for m in sent}
    assert service.feed is not None and service.feed.polled == 3
    assert service.capacity.max_taken == 1
    group = stack.bus.topic_log(topics.invoker_topic(0)).groups[topics.invoker_group(0)]
    assert group.committed == 3


async def test_invoker_service_redelivers_what_a_killed_service_had_not_committed(
    stack: Stack, acks: Consumer, tmp_path: Path
) -> None:
    counter = tmp_path / "runs"
    stored = await stack.action("counted", COUNTED)
    blocked = BlockingStore(stack.store)
    first = await stack.service(store=blocked)  # type: ignore[arg-type]

    # Given an activation taken by a service that is killed before it was accepted
    message = await stack.publish(stored, content={"counter": str(counter)})
    await blocked.entered.wait()
    await first.close()
    group = stack.bus.topic_log(topics.invoker_topic(0)).groups[topics.invoker_group(0)]
    assert group.committed == 0

    # When a new service joins the same group
    second = await stack.service()
    ack = await next_ack(acks)
    await second.drain()

    # Then it ran there, once
    assert ack.activation_id == message.activation_id
    assert counter.read_text().splitlines() == ["run"]
    assert group.committed == 1
    assert await acks.poll(10, timeout_s=0.1) == []


async def test_invoker_service_skips_and_commits_a_malformed_record(
    stack: Stack, acks: Consumer
) -> None:
    stored = await stack.action("greet", GREET)
    await stack.service()

    await stack.send(b"this is not an activation")
    message = await stack.publish(stored)
    ack = await next_ack(acks)

    assert ack.activation_id == message.activation_id
    group = stack.bus.topic_log(topics.invoker_topic(0)).groups[topics.invoker_group(0)]
    await eventually(lambda: group.committed == 2)


async def test_invoker_service_drain_finishes_taken_work_and_pings_disabled(
    stack: Stack, acks: Consumer, tmp_path: Path
) -> None:
    health = await stack.bus.consumer(topics.health_topic(), topics.health_group(0))
    stored = await stack.action("slow", COUNTED)
    service = await stack.service()
    message = await stack.publish(stored, content={"counter": str(tmp_path / "r"), "sleep": 0.3})
    await eventually(lambda: message.activation_id in service.capacity.taken)

    await service.drain()

    ack = await next_ack(acks)
    assert ack.activation_id == message.activation_id
    doc = await record_of(stack.store, message.activation_id)
    assert doc["response"]["statusCode"] == 0
    pings = [PingMessage.from_bytes(r.value) for r in await health.poll(100, timeout_s=0.1)]
    assert pings[0].enabled is True and pings[0].invoker.instance == 0
    assert pings[-1].enabled is False


class BlockingStore:
    """A real store whose entity reads wait until released (to stop a service mid-accept)."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def get(self, key: EntityKey) -> StoredEntity | None:
        self.entered.set()
        await self.release.wait()
        return await self._inner.get(key)

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        return getattr(self._inner, name)  # type: ignore[no-any-return]
