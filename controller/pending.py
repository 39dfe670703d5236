"""When a pending activation record is past hope (pure).

A pending record (``end == 0``) is written when a controller accepts an activation. Its
completion normally comes from the invoker, or, when none comes, from the load balancer's
forced-completion timer (``deadline_s`` in ``loadbalancer/acks.py``). Those timers live in one
controller's memory; a record whose controller restarted (and whose invoker died) would stay
pending forever. ``past_hope`` says when such a record may be closed by anyone:

- an action's record: after the balancer's own deadline for the action's time limit (from the
  record's ``limits`` annotation, else the system maximum) plus ``grace_ms``, so a live
  controller's timer always fires first;
- a composition's record (``kind: sequence``, sequences and conductors): the controller that
  runs it completes it even when stopping; it may only be orphaned by a crash, and it may take
  up to ``COMPOSITION_STEPS`` activations, each as long as the longest single one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controller.loadbalancer.acks import deadline_s
from whisk.entities.exec import MAX_SEQUENCE_LENGTH

COMPOSITION_STEPS = 2 * MAX_SEQUENCE_LENGTH + 1  # a conductor's components and its own runs
COMPOSITION_KIND = "sequence"


@dataclass(frozen=True, slots=True)
class PendingPolicy:
    """How patient to be with pending records; the deadline terms match the balancer's."""

    grace_ms: int
    min_timeout_ms: int  # the system's smallest action time limit (bounds the listing)
    max_timeout_ms: int  # the system's largest (records without a limits annotation)
    floor_ms: int = 60_000
    factor: float = 2.0
    addon_ms: int = 60_000

    def __post_init__(self) -> None:
        if self.grace_ms < 0:
            raise ValueError(f"grace must not be negative, got {self.grace_ms} ms")
        if not 0 < self.min_timeout_ms <= self.max_timeout_ms:
            raise ValueError(
                f"timeouts must satisfy 0 < min <= max, got "
                f"{self.min_timeout_ms}..{self.max_timeout_ms} ms"
            )
        if self.factor <= 0 or self.floor_ms < 0 or self.addon_ms < 0:
            raise ValueError("the deadline needs factor > 0, floor >= 0 and addon >= 0")

    def patience_ms(self, timeout_ms: int) -> int:
        """How long after its start a record of an action with this time limit stays hopeful."""
        deadline = deadline_s(
            timeout_ms, floor_ms=self.floor_ms, factor=self.factor, addon_ms=self.addon_ms
        )
        return int(deadline * 1000) + self.grace_ms

    def started_before_ms(self, now_ms: int) -> int:
        """Records starting at or after this cannot be past hope yet (none is more hopeful
        than the shortest time limit's): the exclusive bound to list candidates with."""
        return now_ms - self.patience_ms(self.min_timeout_ms) + 1


def record_timeout_ms(doc: dict[str, Any], policy: PendingPolicy) -> int:
    """The action's time limit from the record's ``limits`` annotation, else the system's
    maximum (an unknown or unreadable limit must never make us less patient)."""
    limits = _annotation(doc, "limits")
    timeout = limits.get("timeout") if isinstance(limits, dict) else None
    if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout > 0:
        return timeout
    return policy.max_timeout_ms


def patience_for(doc: dict[str, Any], policy: PendingPolicy) -> int:
    if _annotation(doc, "kind") == COMPOSITION_KIND:
        return COMPOSITION_STEPS * policy.patience_ms(policy.max_timeout_ms)
    return policy.patience_ms(record_timeout_ms(doc, policy))


def past_hope(doc: dict[str, Any], now_ms: int, policy: PendingPolicy) -> bool:
    """True when this pending record's completion can no longer come (see the module doc).
    A record without a readable ``start`` is never judged."""
    start = doc.get("start")
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        return False
    return now_ms >= start + patience_for(doc, policy)


def _annotation(doc: dict[str, Any], key: str) -> Any:
    notes = doc.get("annotations")
    if not isinstance(notes, list):
        return None
    for note in notes:
        if isinstance(note, dict) and note.get("key") == key:
            return note.get("value")
    return None
