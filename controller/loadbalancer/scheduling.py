"""Which invoker runs an activation: OpenWhisk's sharding scheduler (pure, no I/O).

Each action has a *home* invoker, ``hash % n``, where ``hash`` is a stable hash of the
namespace XOR a stable hash of the fully qualified action name, so the same action keeps
landing on the same invoker and finds its warm containers there. From home the scheduler
probes ``home, home + step, home + 2*step, ...`` (mod n); ``step`` is picked by the same hash
from the numbers in ``1..n`` that are coprime with ``n`` and pairwise coprime with each other,
so every probe sequence visits each invoker exactly once and different actions spread their
overflow differently (notes §3.3). Example: n=10, hash=13 -> home 3, steps (1, 3, 7), step 3,
order 3, 6, 9, 2, 5, 8, 1, 4, 7, 0.

The first *usable* invoker with enough free memory takes the activation. When none has room,
a random usable invoker is forced to take it (overload: the message waits on its topic). When
no invoker is usable there is no placement (the caller answers 503).

Memory bookkeeping is an immutable value per invoker, ``InvokerSlots``: its capacity is the
invoker's user memory divided by the number of controllers (each controller owns a shard),
never below the smallest action memory.

Departure from OpenWhisk: there is no managed/blackbox split of the invokers; every invoker
runs every kind of action.
"""

from __future__ import annotations

import functools
import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from whisk.errors import InvalidArgument


def stable_hash(text: str) -> int:
    """A hash that is the same in every process and every run (CRC-32 of the UTF-8 bytes)."""
    return zlib.crc32(text.encode("utf-8"))


def action_hash(namespace: str, fully_qualified_name: str) -> int:
    return stable_hash(namespace) ^ stable_hash(fully_qualified_name)


@functools.cache
def step_sizes(n: int) -> tuple[int, ...]:
    """The numbers in ``1..n`` coprime with ``n`` and with every smaller one taken before."""
    if n < 1:
        raise InvalidArgument(f"the number of invokers must be >= 1, got {n}")
    steps: list[int] = []
    for candidate in range(1, n + 1):
        if math.gcd(candidate, n) == 1 and all(math.gcd(candidate, s) == 1 for s in steps):
            steps.append(candidate)
    return tuple(steps)


def probe_order(hash_value: int, n: int) -> tuple[int, ...]:
    """The invoker indices in the order the scheduler tries them: each one exactly once."""
    steps = step_sizes(n)
    home = hash_value % n
    step = steps[hash_value % len(steps)]
    return tuple((home + i * step) % n for i in range(n))


@dataclass(frozen=True, slots=True)
class InvokerSlots:
    """Memory of one invoker that this controller may fill: ``capacity_mb`` and ``used_mb``.

    ``used_mb`` may exceed ``capacity_mb`` after a forced acquire (overload).
    """

    capacity_mb: int
    used_mb: int = 0

    def __post_init__(self) -> None:
        if self.capacity_mb < 0 or self.used_mb < 0:
            raise InvalidArgument(
                f"invoker slots must not be negative ({self.capacity_mb} MB, {self.used_mb} MB)"
            )

    @classmethod
    def for_invoker(
        cls, user_memory_mb: int, cluster_size: int, min_action_memory_mb: int
    ) -> InvokerSlots:
        """This controller's shard of an invoker: user memory / controllers, floor min memory."""
        if cluster_size < 1:
            raise InvalidArgument(f"cluster size must be >= 1, got {cluster_size}")
        return cls(max(user_memory_mb // cluster_size, min_action_memory_mb))

    @property
    def free_mb(self) -> int:
        return max(self.capacity_mb - self.used_mb, 0)

    def fits(self, memory_mb: int) -> bool:
        return self.free_mb >= memory_mb

    def acquire(self, memory_mb: int) -> InvokerSlots:
        """Take ``memory_mb``; raises ``InvalidArgument`` if it does not fit."""
        _check_memory(memory_mb)
        if not self.fits(memory_mb):
            raise InvalidArgument(f"{memory_mb} MB do not fit in {self.free_mb} MB free")
        return InvokerSlots(self.capacity_mb, self.used_mb + memory_mb)

    def force_acquire(self, memory_mb: int) -> InvokerSlots:
        """Take ``memory_mb`` even beyond the capacity (overload)."""
        _check_memory(memory_mb)
        return InvokerSlots(self.capacity_mb, self.used_mb + memory_mb)

    def release(self, memory_mb: int) -> InvokerSlots:
        """Give ``memory_mb`` back (never below zero used)."""
        _check_memory(memory_mb)
        return InvokerSlots(self.capacity_mb, max(self.used_mb - memory_mb, 0))

    def resized(self, capacity_mb: int) -> InvokerSlots:
        """The same use with a new capacity (the invoker announced other user memory)."""
        return InvokerSlots(capacity_mb, self.used_mb)


def _check_memory(memory_mb: int) -> None:
    if memory_mb < 1:
        raise InvalidArgument(f"action memory must be >= 1 MB, got {memory_mb}")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an activation goes, and every invoker's slots after it was placed."""

    invoker: int
    forced: bool
    slots: tuple[InvokerSlots, ...]


def schedule(
    hash_value: int,
    slots: Sequence[InvokerSlots],
    usable: Sequence[bool],
    memory_mb: int,
    rng: random.Random,
) -> Placement | None:
    """Place an activation of ``memory_mb`` among the invokers ``0..len(slots)-1``.

    ``usable[i]`` says whether invoker ``i`` may take work now (health). Returns ``None`` when
    no invoker is usable.
    """
    if len(slots) != len(usable):
        raise InvalidArgument("slots and usable must describe the same invokers")
    _check_memory(memory_mb)
    if not any(usable):
        return None
    for index in probe_order(hash_value, len(slots)):
        if usable[index] and slots[index].fits(memory_mb):
            return _placed(slots, index, slots[index].acquire(memory_mb), forced=False)
    chosen = rng.choice([i for i, ok in enumerate(usable) if ok])
    return _placed(slots, chosen, slots[chosen].force_acquire(memory_mb), forced=True)


def _placed(
    slots: Sequence[InvokerSlots], index: int, taken: InvokerSlots, *, forced: bool
) -> Placement:
    updated = tuple(taken if i == index else s for i, s in enumerate(slots))
    return Placement(invoker=index, forced=forced, slots=updated)
