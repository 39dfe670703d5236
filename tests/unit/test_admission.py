"""Admission from memory, reconciled across controllers (controller/admission.py)."""

from __future__ import annotations

from controller.admission import AdmissionLedger, ReconciledThrottleCounter
from controller.throttle import MemoryThrottleCounter
from whisk.throttling import SharedCounts

A1, A2, A3 = "1" * 32, "2" * 32, "3" * 32


def test_a_lone_ledger_counts_exactly() -> None:
    ledger = AdmissionLedger()
    first = ledger.admit("ns", A1, now_ms=1_000, expires_ms=90_000)
    second = ledger.admit("ns", A2, now_ms=2_000, expires_ms=90_000)
    assert (first.rate_count, first.in_flight) == (1, 0)
    assert (second.rate_count, second.in_flight) == (2, 1)
    ledger.release(A1)
    assert ledger.in_flight("ns", 3_000) == 1
    assert ledger.in_flight("ns", 95_000) == 0  # A2 expired


def test_the_push_carries_what_is_new_and_only_once() -> None:
    ledger = AdmissionLedger()
    ledger.admit("ns", A1, now_ms=1_000, expires_ms=90_000)
    ledger.admit("ns", A2, now_ms=1_500, expires_ms=90_000)
    ledger.release(A2)  # never handed over: nothing to release
    push = ledger.take_push(2_000)
    assert push.hits == {("invoke:ns", 0): 2}
    assert [a for a, _, _ in push.added] == [A1]
    assert push.released == ()
    assert push.namespaces == ("ns",)
    ledger.applied(push, SharedCounts({("invoke:ns", 0): 2}, {"ns": 1}))
    again = ledger.take_push(2_050)
    assert again.hits == {} and again.added == () and again.released == ()
    ledger.release(A1)  # handed over: must be released in the shared counts
    assert ledger.take_push(2_100).released == (A1,)


def test_the_others_counts_come_from_the_shared_totals() -> None:
    ledger = AdmissionLedger()
    ledger.admit("ns", A1, now_ms=1_000, expires_ms=90_000)
    push = ledger.take_push(1_000)
    # the database says 7 hits and 3 in flight: 6 and 2 are the other controllers'
    ledger.applied(push, SharedCounts({("invoke:ns", 0): 7}, {"ns": 3}))
    admission = ledger.admit("ns", A2, now_ms=1_100, expires_ms=90_000)
    assert (admission.rate_count, admission.in_flight) == (8, 3)


def test_a_failed_push_is_handed_over_again() -> None:
    ledger = AdmissionLedger()
    ledger.admit("ns", A1, now_ms=1_000, expires_ms=90_000)
    push = ledger.take_push(1_000)
    ledger.release(A1)  # released while the push was on its way
    ledger.failed(push)
    retry = ledger.take_push(1_100)
    assert retry.hits == {("invoke:ns", 0): 1}
    assert retry.added == () and retry.released == ()  # never landed, and released since


def test_a_new_minute_starts_from_zero() -> None:
    ledger = AdmissionLedger()
    for _ in range(5):
        ledger.admit("ns", None, now_ms=1_000, expires_ms=0)
    assert ledger.admit("ns", None, now_ms=61_000, expires_ms=0).rate_count == 1


async def test_two_controllers_see_each_other_after_a_reconciliation() -> None:
    shared = MemoryThrottleCounter()  # the shared counts (the database, in SQL deployments)
    now = [1_000]
    first = ReconciledThrottleCounter(shared, clock_ms=lambda: now[0])
    second = ReconciledThrottleCounter(shared, clock_ms=lambda: now[0])
    for aid in (A1, A2):
        await first.admit("ns", aid, now_ms=now[0], expires_ms=90_000)
    # before reconciling, the second controller knows only its own
    assert (await second.admit("ns", A3, now_ms=now[0], expires_ms=90_000)).in_flight == 0
    await first.reconcile()
    await second.reconcile()
    await first.reconcile()
    assert await second.in_flight("ns", now[0]) == 3
    assert await first.in_flight("ns", now[0]) == 3
    assert await second.hit("invoke:ns", 0) == 4  # 3 admissions + this hit
    await first.release(A1)
    await first.reconcile()
    await second.reconcile()
    assert await second.in_flight("ns", now[0]) == 2
    await first.close()
    await second.close()


async def test_the_overshoot_is_bounded_by_one_interval_of_the_others() -> None:
    """Limit 10 in flight, two controllers each admitting what they believe fits: without a
    reconciliation both fill it (the bound: the other's admissions in one interval); after
    one, neither admits past the limit."""
    shared = MemoryThrottleCounter()
    now = 1_000
    controllers = [
        ReconciledThrottleCounter(shared, clock_ms=lambda: now),
        ReconciledThrottleCounter(shared, clock_ms=lambda: now),
    ]
    admitted = 0
    for round_ in range(3):
        for index, counter in enumerate(controllers):
            aid = f"{round_}{index}".ljust(32, "0")
            admission = await counter.admit("ns", None, now_ms=now, expires_ms=0)
            if admission.in_flight < 10:
                await counter.acquire("ns", aid, 90_000)
                admitted += 1
        for counter in controllers:
            await counter.reconcile()
    assert admitted == 6
    for i in range(20):
        for index, counter in enumerate(controllers):
            if await counter.in_flight("ns", now) < 10:
                await counter.acquire("ns", f"x{i}{index}".ljust(32, "0"), 90_000)
        for counter in controllers:
            await counter.reconcile()
    total = await shared.in_flight("ns", now)
    assert 10 <= total <= 11  # at most one interval's worth of the other controller
