"""The controller's system figures, read from its parts when Prometheus scrapes (nothing on
the hot path): invoker health as its balancer sees it, the lag of its bus consumers, feed
firings by feed and outcome."""

from __future__ import annotations

from controller.wiring import AssembledController
from whisk.metrics import Metrics, Reading

HEALTH_STATES = ("up", "unhealthy", "unresponsive", "down")


def health_readings(states: dict[str, str]) -> Reading:
    """One series per invoker and state, 1 for the state it is in (a Prometheus state set)."""
    for invoker, state in states.items():
        for candidate in HEALTH_STATES:
            yield (invoker, candidate), 1.0 if candidate == state else 0.0


def register_controller_metrics(metrics: Metrics, assembled: AssembledController) -> None:
    balancer = assembled.balancer

    def lag() -> Reading:
        for consumer in balancer.consumers():
            value = consumer.lag()
            if value is not None:
                yield (consumer.topic, consumer.group_id), float(value)

    def firings() -> Reading:
        feeds = assembled.feeds
        if feeds is None:
            return
        for (feed, outcome), count in list(feeds.firer.outcomes.items()):
            yield (feed, outcome), float(count)

    metrics.register_gauges(
        "whisk_invoker_health",
        "Invoker health as this controller's balancer sees it (1 for the current state).",
        ("invoker", "state"),
        lambda: health_readings(balancer.invoker_health()),
    )
    metrics.register_gauges(
        "whisk_kafka_consumer_lag",
        "Records on the topic the consumer has not taken yet (last known).",
        ("topic", "group"),
        lag,
    )
    metrics.register_counters(
        "whisk_feed_firings_total",
        "Trigger fires by feeds (alarms, Kafka), by feed and outcome.",
        ("feed", "outcome"),
        firings,
    )
