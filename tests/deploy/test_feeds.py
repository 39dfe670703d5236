"""Feeds end to end: alarms fire triggers into rules and actions; disabling the rule or deleting
the feed stops the actions; registrations survive a controller restart; a Kafka message becomes
exactly one fire with two controllers; the npm client's feeds.create/delete work."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.deploy.conftest import ECHO, Caller, build_stack
from tests.harness import Stack

EVERY_SECOND = "* * * * * *"  # six fields: seconds first, as OpenWhisk's alarms package allows


async def feed(
    caller: Caller, feed_name: str, event: str, trigger: str, **params: Any
) -> tuple[int, Any]:
    """Invoke a catalog feed action blocking, as wsk and the npm client do."""
    token = base64.b64encode(caller.key.encode()).decode()
    body = {"lifecycleEvent": event, "triggerName": f"/_/{trigger}", "authKey": caller.key}
    async with caller.session.post(
        f"{caller.apihost}/api/v1/namespaces/whisk.system/actions/{feed_name}",
        json={**body, **params},
        params={"blocking": "true"},
        headers={"Authorization": f"Basic {token}"},
    ) as resp:
        return resp.status, await resp.json()


async def feed_trigger(caller: Caller, trigger: str, action: str, feed_name: str) -> None:
    status, reply = await caller.call(
        "PUT",
        f"triggers/{trigger}",
        {"annotations": [{"key": "feed", "value": f"/whisk.system/{feed_name}"}]},
    )
    assert status == 200, reply
    status, reply = await caller.call(
        "PUT", f"rules/{trigger}-rule", {"trigger": f"/_/{trigger}", "action": f"/_/{action}"}
    )
    assert status == 200, reply


async def results(caller: Caller, action: str) -> list[Any]:
    status, listed = await caller.call("GET", "activations", name=action, limit="200")
    assert status == 200, listed
    out = []
    for item in listed:
        record = await caller.wait_record(item["activationId"])
        out.append(record["response"]["result"])
    return out


async def until_count(caller: Caller, action: str, at_least: int, within_s: float = 90) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        status, listed = await caller.call("GET", "activations", name=action, limit="200")
        assert status == 200, listed
        if len(listed) >= at_least:
            return len(listed)
        assert loop.time() < deadline, f"{action}: {len(listed)} activations, wanted {at_least}"
        await asyncio.sleep(0.5)


async def test_alarm_fires_rule_until_disabled_and_deleted(stack: Stack, caller: Caller) -> None:
    await caller.action("echo", ECHO)
    await caller.action("witness", ECHO)
    await feed_trigger(caller, "tick", "echo", "alarms/alarm")
    await feed_trigger(caller, "clock", "witness", "alarms/alarm")
    payload = {"hello": "alarm"}
    for trigger in ("tick", "clock"):
        status, reply = await feed(
            caller, "alarms/alarm", "CREATE", trigger, cron=EVERY_SECOND, trigger_payload=payload
        )
        assert status == 200, reply
        assert reply["response"]["result"] == {"status": "success"}

    await until_count(caller, "echo", 2)
    assert all(r.get("hello") == "alarm" for r in await results(caller, "echo"))
    status, reply = await feed(caller, "alarms/alarm", "READ", "tick")
    assert status == 200 and reply["response"]["result"]["status"]["active"] is True
    assert reply["response"]["result"]["config"]["cron"] == EVERY_SECOND

    # disabling the rule stops the actions (one fire may already be on its way)
    status, _ = await caller.call("POST", "rules/tick-rule", {"status": "inactive"})
    assert status == 200
    echoes = await until_count(caller, "echo", 0)
    witnessed = await until_count(caller, "witness", 0)
    await until_count(caller, "witness", witnessed + 3)
    disabled = await until_count(caller, "echo", 0)
    assert disabled <= echoes + 1

    # deleting the feed stops the fires even with the rule active again
    status, reply = await feed(caller, "alarms/alarm", "DELETE", "tick")
    assert status == 200, reply
    status, _ = await caller.call("POST", "rules/tick-rule", {"status": "active"})
    assert status == 200
    witnessed = await until_count(caller, "witness", 0)
    await until_count(caller, "witness", witnessed + 3)
    assert await until_count(caller, "echo", 0) == disabled
    status, reply = await feed(caller, "alarms/alarm", "READ", "tick")
    assert status == 502 and "not registered" in reply["response"]["result"]["error"]
    await feed(caller, "alarms/alarm", "DELETE", "clock")


async def test_feed_refuses_another_namespaces_trigger_and_bad_params(
    stack: Stack, caller: Caller
) -> None:
    await caller.action("echo", ECHO)
    await feed_trigger(caller, "mine", "echo", "alarms/interval")
    status, reply = await feed(caller, "alarms/interval", "CREATE", "mine", minutes=0)
    assert status == 502 and "minutes" in reply["response"]["result"]["error"]
    other = Caller(caller.session, caller.apihost, stack.new_namespace())
    status, reply = await feed(other, "alarms/interval", "CREATE", "mine", minutes=1)
    assert status == 502  # the trigger /_/mine does not exist in the other namespace
    _, listed = await caller.call("GET", "triggers")
    stolen = {"triggerName": f"/{listed[0]['namespace']}/mine"}
    status, reply = await feed(other, "alarms/interval", "CREATE", "mine", minutes=1, **stolen)
    assert status == 502
    assert reply["response"]["result"]["error"] == "Trigger authentication request failed."


async def test_alarm_registration_survives_a_controller_restart(
    stack: Stack, caller: Caller
) -> None:
    await caller.action("survivor", ECHO)
    await feed_trigger(caller, "beat", "survivor", "alarms/alarm")
    status, reply = await feed(caller, "alarms/alarm", "CREATE", "beat", cron="*/2 * * * * *")
    assert status == 200, reply
    await until_count(caller, "survivor", 1)
    name = "standalone" if stack.kind == "standalone" else "controller0"
    await asyncio.to_thread(stack.terminate, name)
    await asyncio.to_thread(stack.restart, name, f"{stack.apihost}/ping")
    before = await until_count(caller, "survivor", 0)
    await until_count(caller, "survivor", before + 2)
    await feed(caller, "alarms/alarm", "DELETE", "beat")


NPM_FEEDS = """
const openwhisk = require('openwhisk');
const ow = openwhisk({ apihost: process.env.APIHOST, api_key: process.env.AUTH });
(async () => {
  await ow.triggers.create({ name: 'npmtick' });
  const created = await ow.feeds.create({
    name: '/whisk.system/alarms/alarm', trigger: 'npmtick', params: { cron: '0 0 1 1 *' } });
  const read = await ow.feeds.get({ name: '/whisk.system/alarms/alarm', trigger: 'npmtick' });
  const deleted = await ow.feeds.delete({ name: '/whisk.system/alarms/alarm', trigger: 'npmtick' });
  console.log(JSON.stringify({
    created: created.response.result, active: read.response.result.status.active,
    deleted: deleted.response.result }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


async def test_npm_client_feeds_create_and_delete(
    stack: Stack,
    caller: Caller,
    npm_clients: Path,
) -> None:
    env = {
        **os.environ,
        "NODE_PATH": str(npm_clients / "node_modules"),
        "APIHOST": stack.apihost,
        "AUTH": caller.key,
    }
    proc = await asyncio.to_thread(
        subprocess.run,
        ["node", "-e", NPM_FEEDS],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {
        "created": {"status": "success"},
        "active": True,
        "deleted": {"status": "success"},
    }


# -- Kafka: two controllers, one fire per message ------------------------------------------


@pytest.fixture(scope="module")
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    running = build_stack(
        request, "distributed", tmp_path_factory.mktemp("feeds-pair"), controllers=2, invokers=1
    )
    try:
        yield running
    finally:
        running.stop()


async def produce(bootstrap: str, topic: str, value: dict[str, Any]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, json.dumps(value).encode(), key=b"k")
    finally:
        await producer.stop()


async def create_topic(bootstrap: str, topic: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()


@pytest.mark.kafka
@pytest.mark.postgres
async def test_kafka_message_fires_once_with_two_controllers(
    pair: Stack, session: aiohttp.ClientSession, kafka_bootstrap: str
) -> None:
    caller = Caller(session, pair.apihosts[1], pair.new_namespace())
    topic = f"feedtest-{uuid.uuid4().hex[:8]}"
    await create_topic(kafka_bootstrap, topic)
    await caller.action("echo", ECHO)
    await feed_trigger(caller, "onmsg", "echo", "messaging/kafkaFeed")
    status, reply = await feed(
        caller,
        "messaging/kafkaFeed",
        "CREATE",
        "onmsg",
        brokers=[kafka_bootstrap],
        topic=topic,
        isJSONData=True,
    )
    assert status == 200, reply
    await produce(kafka_bootstrap, topic, {"n": 1})
    await until_count(caller, "echo", 1)
    await produce(kafka_bootstrap, topic, {"n": 2})
    await until_count(caller, "echo", 2)
    values = [m["value"] for r in await results(caller, "echo") for m in r["messages"]]
    assert sorted(v["n"] for v in values) == [1, 2]
    (first,) = [r for r in await results(caller, "echo") if r["messages"][0]["value"]["n"] == 1]
    assert first["messages"][0]["topic"] == topic and first["messages"][0]["key"] == "k"
    await feed(caller, "messaging/kafkaFeed", "DELETE", "onmsg")
