from __future__ import annotations

from typing import Any

import pytest

from controller.api.errors import throttle_reason
from controller.metrics import health_readings
from controller.throttle import concurrency_exceeded, rate_exceeded
from invoker.metrics import containers_by_state
from invoker.pool.state import ActionKey, ContainerData, ContainerState, PoolState
from tests.metrics_text import samples, types
from whisk.entities.activation import (
    Activation,
    ActivationId,
    annotation,
    application_error,
    success,
)
from whisk.errors import Throttled
from whisk.metrics import Metrics, figures_of

ACTION_LABELS = {"namespace": "owner", "initiator": "guest", "action": "pkg/hello"}


def record(*, init_ms: int | None = 30, **overrides: Any) -> Activation:
    """A completed record of owner/pkg/hello invoked by guest: 120 ms run, 12 ms wait."""
    notes = [
        annotation("path", "owner/pkg/hello"),
        annotation("waitTime", 12),
        annotation("kind", "python:3.11"),
        annotation("limits", {"memory": 256, "timeout": 60000, "logs": 10}),
    ]
    if init_ms is not None:
        notes.append(annotation("initTime", init_ms))
    values: dict[str, Any] = {
        "namespace": "guest",
        "name": "hello",
        "version": "0.0.1",
        "subject": "guest",
        "activation_id": ActivationId.new(),
        "start": 1_000,
        "end": 1_120,
        "response": success({"ok": True}),
        "annotations": notes,
    }
    values.update(overrides)
    return Activation(**values)


def exposed(metrics: Metrics) -> dict[str, list[tuple[dict[str, str], float]]]:
    return samples(metrics.exposition().decode())


def only(series: list[tuple[dict[str, str], float]], **labels: str) -> float:
    found = [v for lbls, v in series if all(lbls.get(k) == w for k, w in labels.items())]
    assert len(found) == 1, (labels, series)
    return found[0]


def test_one_recorded_activation_lists_each_metric_with_the_action_labels() -> None:
    # given one cold, successful activation
    metrics = Metrics(process=False)
    metrics.record_activation(record())
    # then every per-action family has a series with OpenWhisk's labels
    got = exposed(metrics)
    assert (
        only(
            got["openwhisk_action_activations_total"],
            **ACTION_LABELS,
            kind="python:3.11",
            memory="256",
        )
        == 1
    )
    assert only(got["openwhisk_action_coldStarts_total"], **ACTION_LABELS) == 1
    assert only(got["openwhisk_action_status"], **ACTION_LABELS, status="success") == 1
    assert only(got["openwhisk_action_memory"], **ACTION_LABELS) == 256
    assert only(got["openwhisk_namespace_activations_total"], namespace="owner") == 1
    assert only(got["openwhisk_action_duration_seconds_sum"], **ACTION_LABELS) == pytest.approx(
        0.12
    )
    assert only(got["openwhisk_action_waitTime_seconds_sum"], **ACTION_LABELS) == pytest.approx(
        0.012
    )
    assert only(got["openwhisk_action_initTime_seconds_count"], **ACTION_LABELS) == 1
    assert only(got["openwhisk_action_duration_seconds_bucket"], **ACTION_LABELS, le="0.1") == 0
    assert only(got["openwhisk_action_duration_seconds_bucket"], **ACTION_LABELS, le="0.25") == 1
    assert only(got["openwhisk_action_duration_seconds_bucket"], **ACTION_LABELS, le="+Inf") == 1


def test_the_status_counter_keeps_openwhisks_name_without_total() -> None:
    metrics = Metrics(process=False)
    metrics.record_activation(record())
    kinds = types(metrics.exposition().decode())
    assert kinds["openwhisk_action_status"] == "counter"
    assert kinds["openwhisk_action_activations_total"] == "counter"
    assert kinds["openwhisk_action_duration_seconds"] == "histogram"
    assert "openwhisk_action_status_total" not in kinds


def test_a_warm_error_counts_no_cold_start_and_the_underscored_status() -> None:
    metrics = Metrics(process=False)
    metrics.record_activation(record())
    metrics.record_activation(record(init_ms=None, response=application_error("bad")))
    got = exposed(metrics)
    assert only(got["openwhisk_action_activations_total"], **ACTION_LABELS) == 2
    assert only(got["openwhisk_action_coldStarts_total"], **ACTION_LABELS) == 1
    assert only(got["openwhisk_action_status"], status="application_error") == 1
    assert only(got["openwhisk_action_initTime_seconds_count"], **ACTION_LABELS) == 1


def test_a_pending_record_adds_nothing() -> None:
    metrics = Metrics(process=False)
    metrics.record_activation(record(end=0, response=None))
    assert figures_of(record(end=0, response=None)) is None
    assert "openwhisk_action_activations_total" not in exposed(metrics)


def test_a_record_without_run_annotations_has_unknown_kind_and_no_memory() -> None:
    bare = record(annotations=[annotation("path", "owner/hello")])
    figures = figures_of(bare)
    assert figures is not None
    assert figures.labels.action == "hello"
    assert (figures.labels.kind, figures.memory_mb, figures.cold_start) == ("unknown", 0, False)


def test_scrape_time_gauges_read_state_and_survive_a_failing_reader() -> None:
    metrics = Metrics(process=False)
    depth = {"records": 3}
    metrics.register_gauges(
        "whisk_queue_depth", "Queued.", ("queue",), lambda: [(("records",), depth["records"])]
    )
    metrics.register_gauges("whisk_queue_depth", "Queued.", ("queue",), lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    depth["records"] = 7
    assert only(exposed(metrics)["whisk_queue_depth"], queue="records") == 7
    with pytest.raises(ValueError):
        metrics.register_counters("whisk_queue_depth", "Queued.", ("queue",), list)


def test_a_metric_name_registers_once() -> None:
    metrics = Metrics(process=False)
    with pytest.raises(ValueError):
        metrics.counter("openwhisk_action_status", "again", ("status",))


def test_requests_and_throttles_are_counted_by_their_labels() -> None:
    metrics = Metrics(process=False)
    metrics.record_request("POST", "/api/v1/namespaces/{ns}/actions/{name}", 202)
    metrics.record_request("POST", "/api/v1/namespaces/{ns}/actions/{name}", 202)
    metrics.record_throttle("invocations_per_minute")
    got = exposed(metrics)
    assert only(got["whisk_http_requests_total"], method="POST", status="202") == 2
    assert only(got["whisk_throttled_requests_total"], reason="invocations_per_minute") == 1


@pytest.mark.parametrize(
    ("error", "route", "reason"),
    [
        (
            rate_exceeded(61, 60),
            "/api/v1/namespaces/{namespace}/actions/{name}",
            "invocations_per_minute",
        ),
        (
            rate_exceeded(61, 60),
            "/api/v1/namespaces/{namespace}/triggers/{name}",
            "fires_per_minute",
        ),
        (
            concurrency_exceeded(30, 30),
            "/api/v1/namespaces/{namespace}/actions/{name}",
            "concurrent_invocations",
        ),
        (
            Throttled(
                "Too many concurrent requests in flight for this action (count: 2, allowed: 2)."
            ),
            "/api/v1/web/{namespace}/{package}/{action}",
            "action_concurrency",
        ),
        (Throttled("something else"), "/", "other"),
    ],
)
def test_throttle_reason_names_the_limit(error: Throttled | None, route: str, reason: str) -> None:
    assert error is not None
    assert throttle_reason(error, route) == reason


def container(id: str, state: ContainerState) -> ContainerData:
    action = (
        None
        if state in (ContainerState.STARTING, ContainerState.PREWARMED)
        else ActionKey("guest", "guest/hello", "1")
    )
    active = 1 if state in (ContainerState.BUSY, ContainerState.WARMING) else 0
    return ContainerData(id, "python:3.11", 256, state, action, active)


def test_containers_are_grouped_as_the_dashboard_shows_them() -> None:
    states = [
        ContainerState.STARTING,
        ContainerState.PREWARMED,
        ContainerState.WARMING,
        ContainerState.BUSY,
        ContainerState.WARM,
        ContainerState.PAUSED,
        ContainerState.PAUSED,
    ]
    pool = PoolState.of(4096, [container(f"c{i}", s) for i, s in enumerate(states)])
    assert containers_by_state(pool) == {
        "prewarm": 2,
        "warm": 1,
        "busy": 2,
        "paused": 2,
        "removing": 0,
    }


def test_invoker_health_is_a_state_set() -> None:
    readings = dict(health_readings({"invoker0": "up", "invoker1": "unresponsive"}))
    assert readings[("invoker0", "up")] == 1
    assert readings[("invoker0", "down")] == 0
    assert readings[("invoker1", "unresponsive")] == 1
    assert sum(readings.values()) == 2
