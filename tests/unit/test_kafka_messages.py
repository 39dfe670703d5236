"""Kafka feed shaping: parameters, messages, batches."""

from __future__ import annotations

import base64

import pytest

from controller.feeds.kafka_messages import Record, batches, kafka_spec, message_of, payload_of
from whisk.errors import InvalidArgument


def record(value: bytes | None = b"hello", key: bytes | None = b"k", offset: int = 0) -> Record:
    return Record(topic="t", partition=0, offset=offset, key=key, value=value)


def test_kafka_spec_takes_brokers_as_array_json_or_csv() -> None:
    assert kafka_spec({"brokers": ["a:9092"], "topic": "t"}).brokers == ("a:9092",)
    assert kafka_spec({"brokers": '["a:1","b:2"]', "topic": "t"}).brokers == ("a:1", "b:2")
    assert kafka_spec({"brokers": "a:1, b:2", "topic": "t"}).brokers == ("a:1", "b:2")
    assert kafka_spec({"brokers": ["a:1"], "topic": "t", "isJSONData": "true"}).is_json


@pytest.mark.parametrize(
    "params", [{"topic": "t"}, {"brokers": [], "topic": "t"}, {"brokers": ["a:1"]}]
)
def test_kafka_spec_rejects_missing_parameters(params: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        kafka_spec(params)


def test_message_of_plain_text() -> None:
    spec = kafka_spec({"brokers": ["a:1"], "topic": "t"})
    assert message_of(record(), spec) == {
        "topic": "t",
        "partition": 0,
        "offset": 0,
        "key": "k",
        "value": "hello",
    }
    assert message_of(record(key=None), spec)["key"] is None


def test_message_of_json_and_binary() -> None:
    as_json = kafka_spec({"brokers": ["a:1"], "topic": "t", "isJSONData": True})
    assert message_of(record(b'{"n": 1}'), as_json)["value"] == {"n": 1}
    assert message_of(record(b"not json"), as_json)["value"] == "not json"
    binary = kafka_spec(
        {"brokers": ["a:1"], "topic": "t", "isBinaryKey": True, "isBinaryValue": True}
    )
    shaped = message_of(record(b"\x00\xff", b"\x01"), binary)
    assert base64.b64decode(shaped["value"]) == b"\x00\xff"
    assert base64.b64decode(shaped["key"]) == b"\x01"


def test_batches_split_at_the_payload_limit() -> None:
    spec = kafka_spec({"brokers": ["a:1"], "topic": "t"})
    records = [record(b"x" * 100, offset=i) for i in range(5)]
    groups = batches(records, spec, limit=400)
    assert [len(g) for g in groups] == [2, 2, 1]
    assert [m["offset"] for g in groups for m in g] == [0, 1, 2, 3, 4]
    assert payload_of(groups[0]) == {"messages": groups[0]}
    assert batches([record(b"x" * 1000)], spec, limit=400)[0][0]["offset"] == 0
