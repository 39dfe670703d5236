"""One behaviour suite for throttle counters: in process (memory) and in the shared database
(SQLite, PostgreSQL), which is how several controllers share one count."""

from __future__ import annotations

import asyncio

from tests.store.conftest import beside
from whisk.store.ports import Persistence


async def test_counter_counts_hits_per_key_and_minute(persistence: Persistence) -> None:
    counter = persistence.throttles
    assert [await counter.hit("invoke:a", 60_000) for _ in range(3)] == [1, 2, 3]
    assert await counter.hit("invoke:b", 60_000) == 1
    assert await counter.hit("invoke:a", 120_000) == 1


async def test_counter_concurrent_hits_are_not_lost(persistence: Persistence) -> None:
    counter = persistence.throttles
    counts = await asyncio.gather(*(counter.hit("invoke:a", 0) for _ in range(20)))
    assert sorted(counts) == list(range(1, 21))


async def test_counter_tracks_activations_in_flight(persistence: Persistence) -> None:
    counter = persistence.throttles
    assert await counter.acquire("a", "1" * 32, expires_ms=10_000) == 0
    assert await counter.acquire("a", "2" * 32, expires_ms=99_000) == 1
    assert await counter.acquire("b", "3" * 32, expires_ms=99_000) == 0
    assert await counter.in_flight("a", now_ms=5_000) == 2
    await counter.release("2" * 32)
    assert await counter.in_flight("a", now_ms=5_000) == 1
    assert await counter.in_flight("a", now_ms=20_000) == 0  # the first one expired
    assert await counter.in_flight("b", now_ms=20_000) == 1


async def test_two_controllers_share_one_count(persistence: Persistence) -> None:
    # given two counters over the same database (two controllers)
    first = persistence.throttles
    second = beside(persistence).throttles
    await first.hit("invoke:a", 0)
    assert await second.hit("invoke:a", 0) == 2


async def test_admit_counts_rate_and_flights_in_one_step(persistence: Persistence) -> None:
    counter = persistence.throttles
    first = await counter.admit("a", "1" * 32, now_ms=1_000, expires_ms=90_000)
    second = await counter.admit("a", "2" * 32, now_ms=2_000, expires_ms=90_000)
    assert (first.rate_count, first.in_flight) == (1, 0)
    assert (second.rate_count, second.in_flight) == (2, 1)
    peek = await counter.admit("a", None, now_ms=3_000, expires_ms=0)
    assert (peek.rate_count, peek.in_flight) == (3, 2)
    assert await counter.in_flight("a", now_ms=3_000) == 2


async def test_admit_leaves_out_and_purges_expired_flights(persistence: Persistence) -> None:
    counter = persistence.throttles
    await counter.acquire("a", "1" * 32, expires_ms=1_500)  # expired at the admission below
    await counter.acquire("a", "2" * 32, expires_ms=90_000)
    await counter.acquire("b", "3" * 32, expires_ms=1_500)  # another namespace: kept

    admitted = await counter.admit("a", "4" * 32, now_ms=2_000, expires_ms=90_000)

    assert (admitted.rate_count, admitted.in_flight) == (1, 1)
    assert await counter.in_flight("a", now_ms=2_000) == 2
    assert await counter.in_flight("b", now_ms=1_000) == 1
    await counter.release("1" * 32)  # already purged: nothing to release, no error
    assert await counter.in_flight("a", now_ms=2_000) == 2


async def test_reconcile_adds_hits_and_flights_and_reads_totals(persistence: Persistence) -> None:
    from whisk.throttling import CountsPush

    counter = persistence.throttles
    push = CountsPush(
        hits={("invoke:a", 60_000): 3},
        windows=(("invoke:a", 60_000), ("invoke:b", 60_000)),
        added=(("1" * 32, "a", 99_000), ("2" * 32, "a", 99_000), ("3" * 32, "b", 10)),
        released=(),
        namespaces=("a", "b"),
        now_ms=61_000,
    )
    shared = await counter.reconcile(push)
    assert shared.windows == {("invoke:a", 60_000): 3, ("invoke:b", 60_000): 0}
    assert shared.in_flight == {"a": 2, "b": 0}  # b's flight had expired
    again = CountsPush(
        hits={("invoke:a", 60_000): 2},
        windows=(("invoke:a", 60_000),),
        added=(),
        released=("1" * 32,),
        namespaces=("a",),
        now_ms=62_000,
    )
    shared = await counter.reconcile(again)
    assert shared.windows == {("invoke:a", 60_000): 5}
    assert shared.in_flight == {"a": 1}
    assert await counter.hit("invoke:a", 60_000) == 6  # the same counts as the direct path
