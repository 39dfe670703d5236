"""``GET /metrics`` on a running deployment, scraped as Prometheus does: on standalone's API
port, and on the controller and an invoker's health port of the distributed stack."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest

from tests.deploy.conftest import ECHO, FAST_FAILURE_ENV, Caller
from tests.harness import Stack, free_port, start_distributed, start_standalone
from tests.metrics_text import samples, types

PER_ACTION = (
    "openwhisk_action_activations_total",
    "openwhisk_action_coldStarts_total",
    "openwhisk_action_status",
    "openwhisk_action_memory",
    "openwhisk_action_duration_seconds_bucket",
    "openwhisk_action_waitTime_seconds_bucket",
    "openwhisk_action_initTime_seconds_bucket",
)
SYSTEM_WITH_SERIES = (
    "whisk_invoker_health",
    "whisk_invoker_containers",
    "whisk_invoker_pool_memory_used_bytes",
    "whisk_invoker_pool_memory_free_bytes",
    "whisk_kafka_consumer_lag",
    "whisk_throttled_requests_total",
    "whisk_http_requests_total",
)
FAMILIES = (
    "openwhisk_action_activations_total",
    "openwhisk_action_coldStarts_total",
    "openwhisk_action_status",
    "openwhisk_action_memory",
    "openwhisk_action_duration_seconds",
    "openwhisk_action_waitTime_seconds",
    "openwhisk_action_initTime_seconds",
    "openwhisk_namespace_activations_total",
    *SYSTEM_WITH_SERIES,
    "whisk_feed_firings_total",
)


async def scrape(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as resp:  # no credentials: unauthenticated, as OpenWhisk's
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return await resp.text()


async def invoke_once_then_get_throttled(caller: Caller) -> str:
    """One blocking invoke of ``echo`` (a cold start), then one over the per-minute limit of
    1; returns the namespace."""
    await caller.action("echo", ECHO)
    status, record = await caller.call("POST", "actions/echo", {"x": 1}, blocking="true")
    assert status == 200, record
    status, reply = await caller.call("POST", "actions/echo", {"x": 2}, blocking="true")
    assert status == 429, reply
    return str(record["namespace"])


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_standalone(tmp_path_factory.mktemp("standalone"), FAST_FAILURE_ENV)
    try:
        yield stack
    finally:
        stack.stop()


async def test_standalone_metrics_list_every_metric_after_one_invoke(
    standalone: Stack, session: aiohttp.ClientSession
) -> None:
    caller = Caller(session, standalone.apihost, standalone.new_namespace(invocationsPerMinute=1))
    namespace = await invoke_once_then_get_throttled(caller)
    text = await scrape(session, f"{standalone.apihost}/metrics")
    got, declared = samples(text), types(text)
    labels = {"namespace": namespace, "initiator": namespace, "action": "echo"}
    for name in PER_ACTION:
        mine = [
            lbls
            for lbls, _ in got.get(name, [])
            if all(lbls.get(k) == v for k, v in labels.items())
        ]
        assert mine, f"{name} has no series for {labels}"
    activations = [
        lbls
        for lbls, _ in got["openwhisk_action_activations_total"]
        if lbls["namespace"] == namespace
    ]
    assert activations[0]["kind"] == "python:3.11" and activations[0]["memory"] == "256"
    assert any(
        lbls == {"namespace": namespace} for lbls, _ in got["openwhisk_namespace_activations_total"]
    )
    for name in SYSTEM_WITH_SERIES:
        assert got.get(name), f"{name} has no series"
    missing = [name for name in FAMILIES if name not in declared]
    assert not missing, f"families missing from /metrics: {missing}"
    assert any(
        lbls["reason"] == "invocations_per_minute" and value >= 1
        for lbls, value in got["whisk_throttled_requests_total"]
    )
    routes = {lbls["route"] for lbls, _ in got["whisk_http_requests_total"]}
    assert "/api/v1/namespaces/{ns}/actions/{name}" in routes
    assert not any("echo" in route for route in routes), routes  # patterns, never raw URLs


@pytest.fixture(scope="module")
def distributed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, int]]:
    """Controller and one invoker (its health port on a free port) over Kafka and PostgreSQL."""
    health_port = free_port()
    stack = start_distributed(
        tmp_path_factory.mktemp("distributed"),
        request.getfixturevalue("postgres_url"),
        request.getfixturevalue("kafka_bootstrap"),
        invokers=1,
        extra_env={**FAST_FAILURE_ENV, "WHISK_INVOKER_HEALTH_PORT": str(health_port)},
    )
    try:
        yield stack, health_port
    finally:
        stack.stop()


@pytest.mark.kafka
@pytest.mark.postgres
async def test_distributed_controller_and_invoker_serve_their_own_metrics(
    distributed: tuple[Stack, int], session: aiohttp.ClientSession
) -> None:
    stack, health_port = distributed
    caller = Caller(session, stack.apihost, stack.new_namespace(invocationsPerMinute=1))
    namespace = await invoke_once_then_get_throttled(caller)
    invoker_host = f"http://127.0.0.1:{health_port}"
    async with session.get(f"{invoker_host}/ping") as resp:
        assert await resp.text() == "pong"
    invoker = samples(await scrape(session, f"{invoker_host}/metrics"))
    controller = samples(await scrape(session, f"{stack.apihost}/metrics"))
    # the invoker records the activation and its pool; the controller its view of both
    assert any(lbls["namespace"] == namespace for lbls, _ in invoker["openwhisk_action_status"])
    assert invoker["whisk_invoker_containers"] and invoker["whisk_kafka_consumer_lag"]
    assert "openwhisk_action_status" not in controller
    assert only_state(controller["whisk_invoker_health"], "invoker0") == "up"
    assert controller["whisk_throttled_requests_total"]


def only_state(series: list[tuple[dict[str, str], float]], invoker: str) -> str:
    states = [lbls["state"] for lbls, value in series if lbls["invoker"] == invoker and value == 1]
    assert len(states) == 1, series
    return states[0]
