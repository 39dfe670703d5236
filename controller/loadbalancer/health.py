"""Invoker health as a state machine (pure, no I/O): OpenWhisk's invoker supervision.

States and their REST names (``GET /invokers``)::

    UP            "up"            Healthy: takes work
    UNHEALTHY     "unhealthy"     more than 3 system errors among the last 10 outcomes
    UNRESPONSIVE  "unresponsive"  more than 3 timeouts (forced completions) among the last 10
    PROBING       (as its cause)  unhealthy/unresponsive, cooled down: takes ONE activation
    DOWN          "down"          Offline: never pinged, no ping for 10 s, or disabled

Events: ``Ping(enabled)``, ``Tick`` (time passes), ``Dispatched(activation_id)`` (the
balancer gave it an activation), ``Withdrawn(activation_id)`` (that send failed) and
``Finished(activation_id, outcome)``. ``advance(health,
event, now, policy)`` returns the new ``InvokerHealth``; ``now`` is any monotonic seconds.

Rules (notes §3.4):
- DOWN + enabled ping -> UP, with a fresh outcome buffer.
- No ping for ``ping_timeout_s`` in any state, or a ping with ``enabled=false`` -> DOWN.
- Each outcome goes into a ring buffer of the last ``buffer_size``. More than ``tolerance``
  system errors -> UNHEALTHY; else more than ``tolerance`` timeouts -> UNRESPONSIVE; else a
  success -> UP. A DOWN invoker stays DOWN whatever the outcome.
- UNHEALTHY/UNRESPONSIVE -> PROBING once ``cool_down_s`` passed since it entered the state.
  A PROBING invoker is usable for exactly one in-flight activation, the probe. The probe's
  success -> UP with an empty buffer; its failure -> back to UNHEALTHY (system error) or
  UNRESPONSIVE (timeout) with a fresh cool-down.

Departures from OpenWhisk, which has a test action (``invokerHealthTestAction``) that Whisk
does not have yet: a new or returning invoker starts UP on its first ping instead of
UNHEALTHY-until-a-test-action-succeeds; and an impaired invoker is re-tested with one real
activation after a cool-down (``PROBING``) instead of a test action every minute.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from whisk.errors import InvalidArgument


class InvokerState(Enum):
    UP = "up"
    UNHEALTHY = "unhealthy"
    UNRESPONSIVE = "unresponsive"
    PROBING = "probing"
    DOWN = "down"


class Outcome(Enum):
    SUCCESS = "success"
    SYSTEM_ERROR = "system error"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    ping_timeout_s: float = 10.0
    buffer_size: int = 10
    tolerance: int = 3
    cool_down_s: float = 10.0

    def __post_init__(self) -> None:
        if self.ping_timeout_s <= 0 or self.cool_down_s < 0:
            raise InvalidArgument("ping timeout must be > 0 s and cool-down >= 0 s")
        if self.buffer_size < 1 or not 0 <= self.tolerance < self.buffer_size:
            raise InvalidArgument("need buffer_size >= 1 and 0 <= tolerance < buffer_size")


@dataclass(frozen=True, slots=True)
class Ping:
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Tick:
    pass


@dataclass(frozen=True, slots=True)
class Dispatched:
    activation_id: str


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """The dispatched activation never reached the invoker (the send failed)."""

    activation_id: str


@dataclass(frozen=True, slots=True)
class Finished:
    activation_id: str
    outcome: Outcome


Event = Ping | Tick | Dispatched | Withdrawn | Finished
_IMPAIRED = (InvokerState.UNHEALTHY, InvokerState.UNRESPONSIVE)


@dataclass(frozen=True, slots=True)
class InvokerHealth:
    """One invoker as this controller sees it. The default is an invoker never seen (DOWN).

    ``cause`` is UNHEALTHY or UNRESPONSIVE while impaired or probing; ``retry_at`` is when an
    impaired invoker may take a probe; ``probe_id`` the activation id of the probe in flight.
    """

    state: InvokerState = InvokerState.DOWN
    last_ping_at: float | None = None
    outcomes: tuple[Outcome, ...] = ()
    cause: InvokerState | None = None
    retry_at: float | None = None
    probe_id: str | None = None

    @property
    def usable(self) -> bool:
        """May the scheduler give this invoker an activation now?"""
        if self.state is InvokerState.PROBING:
            return self.probe_id is None
        return self.state is InvokerState.UP

    @property
    def rest_name(self) -> str:
        """The state as ``GET /invokers`` names it (a probing invoker shows its cause)."""
        if self.state is InvokerState.PROBING and self.cause is not None:
            return self.cause.value
        return self.state.value


def advance(health: InvokerHealth, event: Event, now: float, policy: HealthPolicy) -> InvokerHealth:
    """The health of an invoker after ``event`` happened at ``now``."""
    match event:
        case Ping(enabled=enabled):
            return _on_ping(health, enabled, now)
        case Tick():
            return _on_tick(health, now, policy)
        case Dispatched(activation_id=activation_id):
            if health.state is InvokerState.PROBING and health.probe_id is None:
                return replace(health, probe_id=activation_id)
            return health
        case Withdrawn(activation_id=activation_id):
            if health.probe_id == activation_id:
                return replace(health, probe_id=None)
            return health
        case Finished(activation_id=activation_id, outcome=outcome):
            return _on_finished(health, activation_id, outcome, now, policy)
    raise InvalidArgument(f"unknown health event {event!r}")


def _down(health: InvokerHealth) -> InvokerHealth:
    return replace(health, state=InvokerState.DOWN, cause=None, retry_at=None, probe_id=None)


def _up(health: InvokerHealth, *, clear: bool) -> InvokerHealth:
    outcomes = () if clear else health.outcomes
    return replace(
        health, state=InvokerState.UP, outcomes=outcomes, cause=None, retry_at=None, probe_id=None
    )


def _impaired(health: InvokerHealth, state: InvokerState, retry_at: float) -> InvokerHealth:
    return replace(health, state=state, cause=state, retry_at=retry_at, probe_id=None)


def _on_ping(health: InvokerHealth, enabled: bool, now: float) -> InvokerHealth:
    pinged = replace(health, last_ping_at=now)
    if not enabled:
        return _down(pinged)
    if health.state is InvokerState.DOWN:
        return _up(pinged, clear=True)
    return pinged


def _on_tick(health: InvokerHealth, now: float, policy: HealthPolicy) -> InvokerHealth:
    if health.state is InvokerState.DOWN:
        return health
    if health.last_ping_at is None or now - health.last_ping_at >= policy.ping_timeout_s:
        return _down(health)
    if health.state in _IMPAIRED and health.retry_at is not None and now >= health.retry_at:
        return replace(health, state=InvokerState.PROBING)
    return health


def _verdict(
    outcomes: tuple[Outcome, ...], latest: Outcome, policy: HealthPolicy
) -> InvokerState | None:
    """What the buffer says the invoker is; ``None``: no reason to change."""
    if outcomes.count(Outcome.SYSTEM_ERROR) > policy.tolerance:
        return InvokerState.UNHEALTHY
    if outcomes.count(Outcome.TIMEOUT) > policy.tolerance:
        return InvokerState.UNRESPONSIVE
    return InvokerState.UP if latest is Outcome.SUCCESS else None


def _on_finished(
    health: InvokerHealth, activation_id: str, outcome: Outcome, now: float, policy: HealthPolicy
) -> InvokerHealth:
    outcomes = (*health.outcomes, outcome)[-policy.buffer_size :]
    recorded = replace(health, outcomes=outcomes)
    state = health.state
    if state is InvokerState.DOWN:
        return recorded
    retry_at = now + policy.cool_down_s
    if state is InvokerState.PROBING and activation_id == health.probe_id:
        if outcome is Outcome.SUCCESS:
            return _up(recorded, clear=True)
        failed = (
            InvokerState.UNHEALTHY if outcome is Outcome.SYSTEM_ERROR else InvokerState.UNRESPONSIVE
        )
        return _impaired(recorded, failed, retry_at)
    verdict = _verdict(outcomes, outcome, policy)
    if verdict is None or verdict is state:
        return recorded
    if verdict is InvokerState.UP:
        return _up(recorded, clear=False)
    if state is InvokerState.PROBING:
        return replace(recorded, cause=verdict)  # keep waiting for the probe's own outcome
    if state is InvokerState.UP:
        return _impaired(recorded, verdict, retry_at)
    return replace(recorded, state=verdict, cause=verdict)  # impaired: keep the cool-down
