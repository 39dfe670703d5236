"""Throttle decisions and the in-process counter."""

from __future__ import annotations

from controller.throttle import (
    MemoryThrottleCounter,
    concurrency_exceeded,
    rate_exceeded,
    window_of,
)


def test_window_of_is_the_calendar_minute() -> None:
    assert window_of(120_000) == 120_000
    assert window_of(179_999) == 120_000


def test_rate_exceeded_uses_openwhisk_message() -> None:
    assert rate_exceeded(60, 60) is None
    refused = rate_exceeded(61, 60)
    assert refused is not None
    assert refused.message == "Too many requests in the last minute (count: 61, allowed: 60)."


def test_concurrency_exceeded_counts_those_already_in_flight() -> None:
    assert concurrency_exceeded(29, 30) is None
    refused = concurrency_exceeded(30, 30)
    assert refused is not None
    assert refused.message == ("Too many concurrent requests in flight (count: 30, allowed: 30).")


async def test_memory_counter_windows_reset_each_minute() -> None:
    counter = MemoryThrottleCounter()
    assert [await counter.hit("ns", 0) for _ in range(3)] == [1, 2, 3]
    assert await counter.hit("ns", 60_000) == 1
    assert await counter.hit("other", 60_000) == 1


async def test_memory_counter_tracks_flights_and_expiry() -> None:
    counter = MemoryThrottleCounter()
    assert await counter.acquire("ns", "a", expires_ms=1_000) == 0
    assert await counter.acquire("ns", "b", expires_ms=5_000) == 1
    assert await counter.acquire("ns", "b", expires_ms=5_000) == 1  # counted once, others: 1
    assert await counter.in_flight("ns", now_ms=500) == 2
    await counter.release("a")
    assert await counter.in_flight("ns", now_ms=500) == 1
    assert await counter.in_flight("ns", now_ms=6_000) == 0  # expired
