"""Kafka feed decisions, pure: the ``kafkaFeed`` parameters checked, and consumed records shaped
into trigger payloads ``{"messages": [{"topic","partition","offset","key","value"}...]}`` as
OpenWhisk's messaging package does (values parsed as JSON with ``isJSONData``, keys and values
base64 with ``isBinaryKey`` / ``isBinaryValue``), batched under a payload size limit."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from whisk.errors import InvalidArgument

PAYLOAD_LIMIT = 900_000  # bytes of JSON per fire, as OpenWhisk's provider


@dataclass(frozen=True, slots=True)
class KafkaSpec:
    brokers: tuple[str, ...]
    topic: str
    is_json: bool = False
    binary_key: bool = False
    binary_value: bool = False


@dataclass(frozen=True, slots=True)
class Record:
    """One consumed message, as the adapter hands it over."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def _flag(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def kafka_spec(params: dict[str, Any]) -> KafkaSpec:
    brokers = params.get("brokers")
    if isinstance(brokers, str):
        try:
            brokers = json.loads(brokers)
        except ValueError:
            brokers = [b.strip() for b in brokers.split(",")]
    if (
        not isinstance(brokers, list)
        or not brokers
        or not all(isinstance(b, str) and b for b in brokers)
    ):
        raise InvalidArgument("You must supply a 'brokers' parameter: an array of host:port.")
    topic = params.get("topic")
    if not isinstance(topic, str) or not topic:
        raise InvalidArgument("You must supply a 'topic' parameter.")
    return KafkaSpec(
        brokers=tuple(brokers),
        topic=topic,
        is_json=_flag(params, "isJSONData"),
        binary_key=_flag(params, "isBinaryKey"),
        binary_value=_flag(params, "isBinaryValue"),
    )


def _text(data: bytes | None, binary: bool) -> str | None:
    if data is None:
        return None
    if binary:
        return base64.b64encode(data).decode()
    return data.decode("utf-8", errors="replace")


def message_of(record: Record, spec: KafkaSpec) -> dict[str, Any]:
    value: Any = _text(record.value, spec.binary_value)
    if spec.is_json and not spec.binary_value and value is not None:
        try:
            value = json.loads(value)
        except ValueError:
            pass  # OpenWhisk passes a value that is not JSON as the string it is
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": _text(record.key, spec.binary_key),
        "value": value,
    }


def batches(
    records: Iterable[Record], spec: KafkaSpec, limit: int = PAYLOAD_LIMIT
) -> list[list[dict[str, Any]]]:
    """Messages grouped into fires of at most ``limit`` bytes of JSON (a single larger message
    still goes, alone)."""
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for record in records:
        message = message_of(record, spec)
        length = len(json.dumps(message)) + 1
        if current and size + length > limit:
            groups.append(current)
            current, size = [], 0
        current.append(message)
        size += length
    if current:
        groups.append(current)
    return groups


def payload_of(messages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"messages": list(messages)}
