"""``WHISK_METRICS=off``: nothing is recorded, the scrape still answers."""

from __future__ import annotations

import pytest

from tests.unit.test_metrics import exposed, record
from whisk.config import SettingsError, load_settings
from whisk.metrics import Metrics


def test_metrics_are_on_unless_switched_off() -> None:
    assert load_settings({}).metrics is True
    assert load_settings({"WHISK_METRICS": "on"}).metrics is True
    assert load_settings({"WHISK_METRICS": "off"}).metrics is False
    with pytest.raises(SettingsError, match="WHISK_METRICS"):
        load_settings({"WHISK_METRICS": "no"})


def test_switched_off_metrics_record_no_activation_and_no_request() -> None:
    metrics = Metrics(process=False, recording=False)
    metrics.record_activation(record())
    metrics.record_request("POST", "/api/v1/namespaces/{namespace}/actions/{name}", 200)
    families = exposed(metrics)
    assert not families.get("openwhisk_action_activations_total")
    assert not families.get("whisk_http_requests_total")


def test_recording_metrics_count_the_same_calls() -> None:
    metrics = Metrics(process=False)
    metrics.record_activation(record())
    metrics.record_request("POST", "/api/v1/namespaces/{namespace}/actions/{name}", 200)
    families = exposed(metrics)
    assert families["openwhisk_action_activations_total"]
    assert families["whisk_http_requests_total"]
