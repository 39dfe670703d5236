"""Metering (whisk/usage.py): what one record adds, how deltas sum, and the usage report."""

from __future__ import annotations

from typing import Any

import pytest

from whisk.store.ports import ActivationRecord
from whisk.usage import (
    HOUR_MS,
    UsageDelta,
    aggregate,
    billed_ms,
    hour_of,
    usage_of,
    usage_report,
    usage_reports,
)

T0 = 1_764_720_000_000  # 2025-12-03T00:00:00Z, an hour boundary


def record(
    *,
    start: int = T0 + 5_000,
    duration: int | None = 12,
    status: int | None = 0,
    memory: int | None = 256,
    init_ms: int | None = None,
    name: str = "hello",
    package: str | None = None,
    namespace: str = "guest",
) -> ActivationRecord:
    notes: list[dict[str, Any]] = [{"key": "path", "value": f"{namespace}/{name}"}]
    if memory is not None:
        notes.append({"key": "limits", "value": {"timeout": 60000, "memory": memory, "logs": 10}})
    if init_ms is not None:
        notes.append({"key": "initTime", "value": init_ms})
    end = 0 if status is None else start + (duration or 0)
    doc: dict[str, Any] = {"start": start, "end": end, "annotations": notes}
    return ActivationRecord("a1", namespace, name, package, start, end, status, doc)


def test_usage_of_a_warm_success_bills_its_duration_at_its_memory() -> None:
    delta = usage_of(record(duration=12, memory=256))
    assert delta == UsageDelta("guest", "hello", T0, 1, 12, 12 * 256, 0, 0)
    assert delta.gb_seconds == pytest.approx(0.25 * 0.012, abs=1e-12)


def test_usage_of_a_cold_failure_counts_a_cold_start_and_an_error() -> None:
    delta = usage_of(record(duration=340, status=2, memory=128, init_ms=300))
    assert delta is not None
    assert (delta.cold_starts, delta.errors, delta.billed_ms, delta.mb_ms) == (1, 1, 340, 340 * 128)


def test_a_sub_millisecond_run_bills_one_millisecond() -> None:
    assert usage_of(record(duration=0)) == UsageDelta("guest", "hello", T0, 1, 1, 256, 0, 0)
    assert billed_ms(0.2) == 1 and billed_ms(3.0) == 3 and billed_ms(3.01) == 4


def test_an_activation_that_never_ran_bills_nothing_but_counts() -> None:
    delta = usage_of(record(status=3, memory=None, duration=0))
    assert delta == UsageDelta("guest", "hello", T0, 1, 0, 0, 0, 1)


def test_a_pending_record_adds_nothing() -> None:
    assert usage_of(record(status=None)) is None


def test_usage_is_bucketed_by_the_hour_of_the_start_and_named_with_its_package() -> None:
    delta = usage_of(record(start=T0 + HOUR_MS - 1, package="utils", name="cat"))
    assert delta is not None and (delta.hour_ms, delta.action) == (T0, "utils/cat")
    assert hour_of(T0 + HOUR_MS) == T0 + HOUR_MS


def test_the_record_duration_field_wins_over_end_minus_start() -> None:
    r = record(duration=10)
    r.doc["duration"] = 7
    delta = usage_of(r)
    assert delta is not None and delta.billed_ms == 7


def test_deltas_add_up_per_action_and_hour() -> None:
    a = UsageDelta("guest", "hello", T0, 1, 10, 2560, 1, 0)
    b = UsageDelta("guest", "hello", T0, 1, 5, 1280, 0, 1)
    c = UsageDelta("guest", "hello", T0 + HOUR_MS, 1, 1, 256, 0, 0)
    summed = aggregate({}, [a, b, c])
    assert list(summed.values()) == [UsageDelta("guest", "hello", T0, 2, 15, 3840, 1, 1), c]
    with pytest.raises(ValueError):
        a.plus(c)


def test_a_delta_off_the_hour_or_negative_is_refused() -> None:
    with pytest.raises(ValueError):
        UsageDelta("guest", "hello", T0 + 1)
    with pytest.raises(ValueError):
        UsageDelta("guest", "hello", T0, billed_ms=-1)


ROWS = [
    UsageDelta("guest", "hello", T0, 2, 15, 3840, 1, 1),
    UsageDelta("guest", "hello", T0 + HOUR_MS, 1, 1, 256, 0, 0),
    UsageDelta("guest", "utils/cat", T0 + HOUR_MS, 3, 30, 30 * 512, 1, 0),
    UsageDelta("other", "x", T0, 1, 1000, 1024 * 1000, 1, 0),
]


def test_the_report_sums_a_namespace_and_each_of_its_actions() -> None:
    report = usage_report("guest", ROWS, None, None)
    assert report == {
        "namespace": "guest",
        "since": None,
        "upto": None,
        "activations": 6,
        "billedMs": 46,
        "gbSeconds": (3840 + 256 + 30 * 512) / 1024 / 1000,
        "coldStarts": 2,
        "errors": 1,
        "actions": [
            {
                "name": "hello",
                "activations": 3,
                "billedMs": 16,
                "gbSeconds": 4096 / 1024 / 1000,
                "coldStarts": 1,
                "errors": 1,
            },
            {
                "name": "utils/cat",
                "activations": 3,
                "billedMs": 30,
                "gbSeconds": 0.015,
                "coldStarts": 1,
                "errors": 0,
            },
        ],
    }


def test_the_report_takes_the_hour_buckets_overlapping_the_window() -> None:
    # a window ending one ms into the first hour still takes that hour, not the next
    first = usage_report("guest", ROWS, T0 - 10, T0 + 1)
    assert (first["activations"], [a["name"] for a in first["actions"]]) == (2, ["hello"])
    # a window starting in the last ms of the first hour takes both hours
    both = usage_report("guest", ROWS, T0 + HOUR_MS - 1, None)
    assert both["activations"] == 6 and both["since"] == T0 + HOUR_MS - 1
    later = usage_report("guest", ROWS, T0 + 2 * HOUR_MS, None)
    assert later["activations"] == 0 and later["actions"] == [] and later["gbSeconds"] == 0


def test_reports_list_every_namespace_with_usage_in_the_window() -> None:
    assert [r["namespace"] for r in usage_reports(ROWS, None, None)] == ["guest", "other"]
    assert [r["namespace"] for r in usage_reports(ROWS, T0 + HOUR_MS, None)] == ["guest"]
    assert usage_reports(ROWS, None, None)[1]["gbSeconds"] == 1.0
