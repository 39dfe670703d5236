"""Invoker health: pings, silence, outcomes in the ring buffer, cool-down and the one probe."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from controller.loadbalancer.health import (
    Dispatched,
    Finished,
    HealthPolicy,
    InvokerHealth,
    InvokerState,
    Outcome,
    Ping,
    Tick,
    Withdrawn,
    advance,
)
from whisk.errors import InvalidArgument

POLICY = HealthPolicy()  # ping timeout 10 s, buffer 10, tolerance 3, cool-down 10 s
UP, UNHEALTHY, UNRESPONSIVE = InvokerState.UP, InvokerState.UNHEALTHY, InvokerState.UNRESPONSIVE
PROBING, DOWN = InvokerState.PROBING, InvokerState.DOWN
S, E, T = Outcome.SUCCESS, Outcome.SYSTEM_ERROR, Outcome.TIMEOUT
PROBE = "0123456789abcdef0123456789abcdef"


def an_invoker(**overrides: Any) -> InvokerHealth:
    """An invoker that pinged at t=100 and is up with an empty buffer, with overrides."""
    values: dict[str, Any] = {"state": UP, "last_ping_at": 100.0}
    return InvokerHealth(**(values | overrides))


def finish(health: InvokerHealth, *outcomes: Outcome, now: float = 101.0) -> InvokerHealth:
    for i, outcome in enumerate(outcomes):
        health = advance(health, Finished(f"{i:032x}", outcome), now, POLICY)
    return health


def test_health_unseen_invoker_is_down_and_unusable() -> None:
    unseen = InvokerHealth()
    assert (unseen.state, unseen.usable, unseen.rest_name) == (DOWN, False, "down")
    assert advance(unseen, Tick(), 1000.0, POLICY) == unseen


def test_health_first_ping_makes_an_invoker_up() -> None:
    # Departure from OpenWhisk (which starts Unhealthy and sends a test action).
    health = advance(InvokerHealth(), Ping(), 5.0, POLICY)
    assert (health.state, health.usable, health.last_ping_at) == (UP, True, 5.0)


def test_health_returning_invoker_starts_with_a_clean_buffer() -> None:
    down = InvokerHealth(state=DOWN, last_ping_at=1.0, outcomes=(E, E, E, T))
    assert advance(down, Ping(), 50.0, POLICY).outcomes == ()


def test_health_disabled_ping_makes_it_down() -> None:
    health = advance(an_invoker(), Ping(enabled=False), 101.0, POLICY)
    assert (health.state, health.usable, health.last_ping_at) == (DOWN, False, 101.0)
    assert advance(health, Ping(enabled=False), 102.0, POLICY).state is DOWN
    assert advance(health, Ping(enabled=True), 103.0, POLICY).state is UP


def test_health_ping_keeps_an_impaired_invoker_impaired() -> None:
    impaired = an_invoker(state=UNHEALTHY, cause=UNHEALTHY, retry_at=120.0)
    health = advance(impaired, Ping(), 105.0, POLICY)
    assert (health.state, health.last_ping_at, health.retry_at) == (UNHEALTHY, 105.0, 120.0)


def test_health_no_ping_for_ten_seconds_makes_it_down() -> None:
    assert advance(an_invoker(), Tick(), 109.9, POLICY).state is UP
    assert advance(an_invoker(), Tick(), 110.0, POLICY).state is DOWN
    probing = an_invoker(state=PROBING, cause=UNHEALTHY, probe_id=PROBE)
    down = advance(probing, Tick(), 111.0, POLICY)
    assert (down.state, down.probe_id, down.cause) == (DOWN, None, None)


def test_health_four_system_errors_in_ten_make_it_unhealthy() -> None:
    three = finish(an_invoker(), E, S, E, E)
    assert (three.state, three.outcomes) == (UP, (E, S, E, E))
    four = finish(three, E, now=102.0)
    assert (four.state, four.usable, four.rest_name) == (UNHEALTHY, False, "unhealthy")
    assert four.retry_at == 112.0


def test_health_four_timeouts_in_ten_make_it_unresponsive() -> None:
    health = finish(an_invoker(), T, T, T, T)
    assert (health.state, health.usable, health.rest_name) == (
        UNRESPONSIVE,
        False,
        "unresponsive",
    )


def test_health_system_errors_win_over_timeouts() -> None:
    health = finish(an_invoker(), T, T, T, T, E, E, E, E)
    assert health.state is UNHEALTHY


def test_health_ring_buffer_keeps_the_last_ten() -> None:
    health = finish(an_invoker(), E, E, E, S, S, S, S, S, S, S, S)
    assert health.outcomes == (E, E, S, S, S, S, S, S, S, S)
    # an error leaves the window, so a fourth new one is not a fourth in the window
    assert finish(health, E, E).state is UP


def test_health_success_after_errors_does_not_heal_while_the_buffer_is_bad() -> None:
    unhealthy = finish(an_invoker(), E, E, E, E)
    assert finish(unhealthy, S).state is UNHEALTHY


def test_health_success_heals_once_the_buffer_is_good() -> None:
    # OpenWhisk's rule: a success moves to Healthy when the buffer is within tolerance
    impaired = an_invoker(state=UNRESPONSIVE, cause=UNRESPONSIVE, retry_at=150.0, outcomes=(T,))
    healed = finish(impaired, S)
    assert (healed.state, healed.cause, healed.retry_at, healed.outcomes) == (
        UP,
        None,
        None,
        (T, S),
    )


def test_health_impaired_invoker_may_switch_cause_and_keeps_its_cool_down() -> None:
    impaired = an_invoker(state=UNRESPONSIVE, cause=UNRESPONSIVE, retry_at=150.0, outcomes=(T,) * 4)
    health = finish(impaired, E, E, E, E, now=140.0)
    assert (health.state, health.cause, health.retry_at) == (UNHEALTHY, UNHEALTHY, 150.0)


def test_health_outcome_while_down_is_recorded_but_stays_down() -> None:
    down = InvokerHealth(state=DOWN, last_ping_at=90.0)
    health = finish(down, S)
    assert (health.state, health.outcomes) == (DOWN, (S,))


def test_health_cool_down_opens_a_probe() -> None:
    unhealthy = finish(an_invoker(), E, E, E, E)  # retry_at 111
    pinged = advance(unhealthy, Ping(), 110.5, POLICY)
    assert advance(pinged, Tick(), 110.9, POLICY).state is UNHEALTHY
    probing = advance(pinged, Tick(), 111.0, POLICY)
    assert (probing.state, probing.usable, probing.rest_name) == (PROBING, True, "unhealthy")


def test_health_probing_invoker_takes_exactly_one_activation() -> None:
    probing = an_invoker(state=PROBING, cause=UNHEALTHY, retry_at=111.0)
    dispatched = advance(probing, Dispatched(PROBE), 112.0, POLICY)
    assert (dispatched.probe_id, dispatched.usable) == (PROBE, False)
    other = "f" * 32
    assert advance(dispatched, Dispatched(other), 112.0, POLICY).probe_id == PROBE


def test_health_dispatch_to_an_up_invoker_is_not_a_probe() -> None:
    assert advance(an_invoker(), Dispatched(PROBE), 101.0, POLICY) == an_invoker()


def test_health_withdrawn_probe_frees_the_probe_slot() -> None:
    dispatched = an_invoker(state=PROBING, cause=UNHEALTHY, probe_id=PROBE)
    withdrawn = advance(dispatched, Withdrawn(PROBE), 112.0, POLICY)
    assert (withdrawn.probe_id, withdrawn.usable) == (None, True)
    assert advance(dispatched, Withdrawn("e" * 32), 112.0, POLICY) == dispatched


def test_health_probe_success_makes_it_up_with_a_clear_buffer() -> None:
    dispatched = an_invoker(state=PROBING, cause=UNHEALTHY, probe_id=PROBE, outcomes=(E,) * 4)
    health = advance(dispatched, Finished(PROBE, S), 113.0, POLICY)
    assert (health.state, health.outcomes, health.probe_id, health.cause) == (UP, (), None, None)


@pytest.mark.parametrize(("outcome", "state"), [(E, UNHEALTHY), (T, UNRESPONSIVE)])
def test_health_probe_failure_goes_back_with_a_fresh_cool_down(
    outcome: Outcome, state: InvokerState
) -> None:
    dispatched = an_invoker(state=PROBING, cause=UNHEALTHY, probe_id=PROBE, outcomes=(E,) * 4)
    health = advance(dispatched, Finished(PROBE, outcome), 113.0, POLICY)
    assert (health.state, health.cause, health.retry_at, health.probe_id) == (
        state,
        state,
        123.0,
        None,
    )
    assert health.outcomes == (E, E, E, E, outcome)


def test_health_other_failures_while_probing_wait_for_the_probe() -> None:
    dispatched = an_invoker(state=PROBING, cause=UNHEALTHY, probe_id=PROBE, outcomes=(E,) * 4)
    health = finish(dispatched, T, E)
    assert (health.state, health.probe_id) == (PROBING, PROBE)


def test_health_other_success_while_probing_heals_when_the_buffer_is_good() -> None:
    dispatched = an_invoker(state=PROBING, cause=UNRESPONSIVE, probe_id=PROBE, outcomes=(T,) * 3)
    health = finish(dispatched, S)
    assert (health.state, health.probe_id) == (UP, None)


def test_health_an_up_invoker_stays_up_on_success() -> None:
    health = finish(an_invoker(), S, S)
    assert health == replace(an_invoker(), outcomes=(S, S))


def test_health_policy_refuses_nonsense() -> None:
    with pytest.raises(InvalidArgument):
        HealthPolicy(ping_timeout_s=0)
    with pytest.raises(InvalidArgument):
        HealthPolicy(buffer_size=3, tolerance=3)
