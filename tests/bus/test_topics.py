"""Topic and group names, retention, and bus URLs (pure)."""

from __future__ import annotations

import pytest

from whisk.bus import open_bus, topics
from whisk.bus.kafka import KafkaBus
from whisk.bus.memory import MemoryBus
from whisk.errors import InvalidArgument


def test_topics_names_follow_openwhisk() -> None:
    assert topics.invoker_topic(0) == "invoker0"
    assert topics.invoker_topic(12) == "invoker12"
    assert topics.completed_topic("0") == "completed0"
    assert topics.completed_topic(3) == "completed3"
    assert topics.health_topic() == topics.HEALTH == "health"
    assert topics.invoker_topic(1, prefix="dev-") == "dev-invoker1"


def test_topics_groups_let_every_controller_see_every_ping() -> None:
    assert topics.invoker_group(2) == "invoker2"
    assert topics.completed_group("1") == "completed1"
    assert topics.health_group("0") != topics.health_group("1")


@pytest.mark.parametrize("bad", [-1, True, "1", 1.5])
def test_topics_refuse_bad_invoker_numbers(bad: object) -> None:
    with pytest.raises(InvalidArgument):
        topics.invoker_topic(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "a/b", "two words"])
def test_topics_refuse_bad_controller_ids(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        topics.completed_topic(bad)


def test_topics_retention_per_topic() -> None:
    assert topics.retention_ms("invoker0") == 48 * 3600 * 1000
    assert topics.retention_ms("completed0") == 3600 * 1000
    assert topics.retention_ms("health") == 3600 * 1000
    assert topics.retention_ms("cacheInvalidation") == 5 * 60 * 1000
    assert topics.retention_ms("dev-completed2", prefix="dev-") == 3600 * 1000


def test_open_bus_chooses_the_implementation_from_the_url() -> None:
    assert isinstance(open_bus("memory://"), MemoryBus)
    kafka = open_bus("kafka://127.0.0.1:59092,broker-2:9092")
    assert isinstance(kafka, KafkaBus)
    assert kafka.settings.bootstrap == ("127.0.0.1:59092", "broker-2:9092")
    assert open_bus("memory://", max_message_bytes=10).max_message_bytes == 10


@pytest.mark.parametrize(
    "url", ["", "memory", "memory://x", "kafka://", "kafka://host", "kafka://h:port", "redis://h:1"]
)
def test_open_bus_refuses_unknown_urls(url: str) -> None:
    with pytest.raises(InvalidArgument):
        open_bus(url)
