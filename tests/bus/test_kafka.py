"""What only the Kafka adapter does: topic configuration on the broker, and error mapping."""

from __future__ import annotations

import socket

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from whisk.bus import open_bus
from whisk.bus.kafka import KafkaBus, KafkaSettings
from whisk.errors import InvalidArgument, Unavailable


@pytest.mark.kafka
async def test_kafka_bus_creates_topics_with_retention_and_size_limit(
    kafka_bootstrap: str, topic: str
) -> None:
    bus = open_bus(f"kafka://{kafka_bootstrap}")
    await bus.ensure_topic(topic, retention_ms=3_600_000)
    await bus.close()

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert topic in await admin.list_topics()
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
    assert configs["retention.ms"] == "3600000"
    assert configs["max.message.bytes"] == str(bus.max_message_bytes)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_kafka_bus_without_a_broker_is_unavailable() -> None:
    bus = KafkaBus(KafkaSettings(bootstrap=(f"127.0.0.1:{_closed_port()}",)))
    with pytest.raises(Unavailable) as caught:
        await bus.producer()
    assert caught.value.__cause__ is not None
    with pytest.raises(Unavailable):
        await bus.ensure_topic("anything")
    await bus.close()


def test_a_kafka_bus_url_query_tunes_its_clients() -> None:
    bus = open_bus("kafka://127.0.0.1:9092?linger_ms=2&acks=all&fetch_max_wait_ms=20")
    assert isinstance(bus, KafkaBus)
    assert (bus.settings.linger_ms, bus.settings.acks, bus.settings.fetch_max_wait_ms) == (
        2,
        "all",
        20,
    )
    assert bus.settings.bootstrap == ("127.0.0.1:9092",)


@pytest.mark.parametrize(
    "query", ["acks=2", "linger_ms=soon", "linger_ms=-1", "colour=blue", "acks=1&acks=all"]
)
def test_a_kafka_bus_url_query_refuses_unknown_or_bad_options(query: str) -> None:
    with pytest.raises(InvalidArgument):
        open_bus(f"kafka://127.0.0.1:9092?{query}")
