"""Traffic counts and rate limits of triggers and web actions (controller/traffic.py)."""

from __future__ import annotations

import pytest

from controller.throttle import MemoryThrottleCounter
from controller.traffic import (
    Outcome,
    TrafficGate,
    TrafficStats,
    check_rate_limit_annotation,
    rate_limit_exceeded,
    rate_limit_of,
)
from whisk.errors import Throttled


def test_rate_limit_annotation() -> None:
    assert rate_limit_of({"rate-limit": {"perMinute": 5}}) == 5
    assert rate_limit_of({}) is None
    for bad in ({"perMinute": 0}, {"perMinute": "5"}, {"perMinute": True}, 5, {"perHour": 5}):
        assert rate_limit_of({"rate-limit": bad}) is None
        assert check_rate_limit_annotation({"rate-limit": bad}) is not None
    assert check_rate_limit_annotation({}) is None
    assert check_rate_limit_annotation({"rate-limit": {"perMinute": 1}}) is None


def test_the_excess_is_refused_in_openwhisks_words() -> None:
    assert rate_limit_exceeded("trigger", 3, 3) is None
    refused = rate_limit_exceeded("trigger", 4, 3)
    assert refused is not None and refused.message == (
        "Too many requests in the last minute for this trigger (count: 4, allowed: 3)."
    )


def test_stats_keep_the_last_minute_and_the_last_hour() -> None:
    stats = TrafficStats()
    stats.record("ns/t", Outcome.ACCEPTED, 60_000)  # minute 1
    stats.record("ns/t", Outcome.FAILED, 61_000)
    stats.record("ns/t", Outcome.ACCEPTED, 125_000)  # minute 2
    stats.record("ns/t", Outcome.THROTTLED, 126_000)
    snap = stats.snapshot("ns/t", 130_000)
    assert snap["lastMinute"] == {"accepted": 1, "throttled": 1, "failed": 0}
    assert snap["lastHour"] == {"accepted": 2, "throttled": 1, "failed": 1}
    later = stats.snapshot("ns/t", 60_000 + 60 * 60_000)  # minute 1 has left the hour
    assert later["lastHour"] == {"accepted": 1, "throttled": 1, "failed": 0}
    assert stats.snapshot("ns/other", 130_000)["lastHour"]["accepted"] == 0


async def test_the_gate_counts_and_refuses_past_the_limit() -> None:
    gate = TrafficGate(MemoryThrottleCounter(), clock_ms=lambda: 60_000)
    notes = {"rate-limit": {"perMinute": 2}}
    for _ in range(2):
        await gate.admit("trigger", "ns/t", notes)
        gate.record("ns/t", Outcome.ACCEPTED)
    with pytest.raises(Throttled):
        await gate.admit("trigger", "ns/t", notes)
    await gate.admit("trigger", "ns/unlimited", {})  # no annotation: no limit
    assert gate.snapshot("ns/t")["lastMinute"] == {"accepted": 2, "throttled": 1, "failed": 0}
