"""The invoker's system figures, read from its state when Prometheus scrapes (nothing on the
hot path): containers by state, pool memory, the ``invoker{N}`` consumer's lag. The
per-activation figures are recorded by ``InvokerService`` when it writes each record."""

from __future__ import annotations

from collections import Counter

from invoker.pool.state import ContainerState, PoolState
from invoker.service import InvokerService
from whisk.metrics import Metrics, Reading

# The pool's states as the dashboard groups them (OpenWhisk's prewarm / warm / busy / paused);
# starting stem cells count as prewarm, a container initialising for its action as busy.
STATE_GROUPS = {
    ContainerState.STARTING: "prewarm",
    ContainerState.PREWARMED: "prewarm",
    ContainerState.WARMING: "busy",
    ContainerState.BUSY: "busy",
    ContainerState.WARM: "warm",
    ContainerState.PAUSED: "paused",
    ContainerState.REMOVING: "removing",
}
GROUPS = ("prewarm", "warm", "busy", "paused", "removing")


def containers_by_state(state: PoolState) -> dict[str, int]:
    """Every group, zero included, so a state that empties shows 0 rather than vanishing."""
    counts = Counter(STATE_GROUPS[c.state] for c in state.containers.values())
    return {group: counts.get(group, 0) for group in GROUPS}


def register_invoker_metrics(metrics: Metrics, service: InvokerService) -> None:
    name = service.instance.unique_name or f"invoker{service.instance.instance}"

    def containers() -> Reading:
        for group, count in containers_by_state(service.invoker.pool.state).items():
            yield (name, group), float(count)

    def memory(used: bool) -> Reading:
        state = service.invoker.pool.state
        mb = state.used_mb if used else state.free_mb
        yield (name,), float(mb * 1024 * 1024)

    def lag() -> Reading:
        consumer = service.consumer
        value = consumer.lag() if consumer is not None else None
        if consumer is not None and value is not None:
            yield (consumer.topic, consumer.group_id), float(value)

    metrics.register_gauges(
        "whisk_invoker_containers",
        "Action containers of the invoker's pool by state.",
        ("invoker", "state"),
        containers,
    )
    metrics.register_gauges(
        "whisk_invoker_pool_memory_used_bytes",
        "User memory held by the pool's containers.",
        ("invoker",),
        lambda: memory(True),
    )
    metrics.register_gauges(
        "whisk_invoker_pool_memory_free_bytes",
        "User memory the pool can still give to containers.",
        ("invoker",),
        lambda: memory(False),
    )
    metrics.register_gauges(
        "whisk_kafka_consumer_lag",
        "Records on the topic the consumer has not taken yet (last known).",
        ("topic", "group"),
        lag,
    )
