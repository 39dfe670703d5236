"""Metering (pure): what one completed activation adds to its namespace's usage, and the usage
report of a namespace, in the manner of AWS Lambda's GB-second billing at 1 ms granularity.

Only primitive activations (the ones an invoker runs) are metered, as OpenWhisk's user events
count only those; sequences, conductors and trigger records are not. For one record:

- **billed ms**: its duration (``end - start``, or ``duration``) rounded up to whole ms, at least
  1 ms (a run that took less than a millisecond is billed one, as Lambda bills). An activation
  that never reached a container (no ``limits`` annotation: missing action, internal error before
  the run) bills nothing but still counts as an activation and an error;
- **GB-seconds**: memory limit in GB (MB / 1024) x billed seconds. Kept exactly as the integer
  ``mb_ms`` (MB x billed ms) and divided only when reported: ``mb_ms / 1024 / 1000``;
- **cold start**: the record has an ``initTime`` annotation; **error**: ``statusCode != 0``.

Usage is kept per (namespace, action, hour bucket), the hour being that of the activation's
start (epoch ms, floored to the hour), and aggregated as it arrives: it is never recomputed
from records, so it survives their retention.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Protocol

import msgspec

HOUR_MS = 3_600_000
MB_PER_GB = 1024


class CompletedRecord(Protocol):
    """What metering reads of an activation record (``whisk.store.ports.ActivationRecord``,
    which imports this module: hence a protocol, not an import)."""

    @property
    def namespace(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def package(self) -> str | None: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def doc(self) -> dict[str, Any]: ...


def hour_of(epoch_ms: int) -> int:
    """The start of the hour bucket holding ``epoch_ms``."""
    return epoch_ms - epoch_ms % HOUR_MS


class UsageKey(msgspec.Struct, frozen=True):
    namespace: str
    action: str  # ``name`` or ``package/name`` as invoked
    hour_ms: int  # start of the hour bucket, epoch ms


class UsageDelta(msgspec.Struct, frozen=True):
    """Usage of one action in one hour: one activation's, or the sum of several (a frozen
    msgspec struct: built once per activation, it must cost next to nothing)."""

    namespace: str
    action: str
    hour_ms: int
    activations: int = 0
    billed_ms: int = 0
    mb_ms: int = 0  # memory MB x billed ms (GB-seconds = mb_ms / 1024 / 1000, kept exact)
    cold_starts: int = 0
    errors: int = 0

    def __post_init__(self) -> None:
        if self.hour_ms % HOUR_MS:
            raise ValueError(f"usage hour {self.hour_ms} is not on an hour boundary")
        if min(self.activations, self.billed_ms, self.mb_ms, self.cold_starts, self.errors) < 0:
            raise ValueError("usage figures cannot be negative")

    @property
    def key(self) -> UsageKey:
        return UsageKey(self.namespace, self.action, self.hour_ms)

    @property
    def gb_seconds(self) -> float:
        return gb_seconds(self.mb_ms)

    def plus(self, other: UsageDelta) -> UsageDelta:
        if (other.namespace, other.action, other.hour_ms) != (
            self.namespace,
            self.action,
            self.hour_ms,
        ):
            raise ValueError("only usage of the same action and hour adds up")
        return UsageDelta(
            self.namespace,
            self.action,
            self.hour_ms,
            self.activations + other.activations,
            self.billed_ms + other.billed_ms,
            self.mb_ms + other.mb_ms,
            self.cold_starts + other.cold_starts,
            self.errors + other.errors,
        )


def gb_seconds(mb_ms: int) -> float:
    return mb_ms / MB_PER_GB / 1000


def billed_ms(duration_ms: float) -> int:
    """Rounded up to whole milliseconds, at least one."""
    return max(1, math.ceil(duration_ms))


def usage_of(record: CompletedRecord) -> UsageDelta | None:
    """What a completed primitive activation adds to usage; None for a pending record."""
    if record.status_code is None:
        return None
    doc = record.doc
    limits = cold = None
    for note in doc.get("annotations") or ():  # one pass: this runs once per activation
        key = note.get("key") if isinstance(note, dict) else None
        if key == "limits":
            limits = note.get("value")
        elif key == "initTime":
            cold = note.get("value")
    memory = limits.get("memory") if isinstance(limits, dict) else None
    memory_mb = memory if isinstance(memory, int) and memory > 0 else 0  # 0: never ran
    duration = doc.get("duration")
    if not isinstance(duration, int | float):
        duration = max(0, record.end - record.start)
    billed = billed_ms(duration) if memory_mb else 0
    return UsageDelta(
        namespace=record.namespace,
        action=f"{record.package}/{record.name}" if record.package else record.name,
        hour_ms=hour_of(record.start),
        activations=1,
        billed_ms=billed,
        mb_ms=billed * memory_mb,
        cold_starts=0 if cold is None else 1,
        errors=1 if record.status_code != 0 else 0,
    )


def aggregate(
    into: dict[UsageKey, UsageDelta], deltas: Iterable[UsageDelta]
) -> dict[UsageKey, UsageDelta]:
    """Add ``deltas`` into ``into`` (in place) by (namespace, action, hour); returns it."""
    for delta in deltas:
        key = delta.key
        before = into.get(key)
        into[key] = delta if before is None else before.plus(delta)
    return into


def sorted_rows(usage: Iterable[UsageDelta]) -> list[UsageDelta]:
    """By key: writers that upsert in this order take row locks in one order (no deadlock)."""
    return sorted(usage, key=lambda u: (u.namespace, u.action, u.hour_ms))


# -- reports ---------------------------------------------------------------------------------


def hours_overlapping(since: int | None, upto: int | None) -> tuple[int | None, int | None]:
    """The first and last hour buckets that overlap ``[since, upto]`` (inclusive, epoch ms;
    None = unbounded)."""
    return (
        None if since is None else hour_of(since),
        None if upto is None else hour_of(upto),
    )


def in_window(row: UsageDelta, since: int | None, upto: int | None) -> bool:
    first, last = hours_overlapping(since, upto)
    return (first is None or row.hour_ms >= first) and (last is None or row.hour_ms <= last)


def _figures(rows: Iterable[UsageDelta]) -> dict[str, Any]:
    activations = billed = mb_ms = cold = errors = 0
    for row in rows:
        activations += row.activations
        billed += row.billed_ms
        mb_ms += row.mb_ms
        cold += row.cold_starts
        errors += row.errors
    return {
        "activations": activations,
        "billedMs": billed,
        "gbSeconds": gb_seconds(mb_ms),
        "coldStarts": cold,
        "errors": errors,
    }


def usage_report(
    namespace: str, rows: Iterable[UsageDelta], since: int | None, upto: int | None
) -> dict[str, Any]:
    """The answer of ``GET /namespaces/{ns}/usage``: totals and one entry per action (by
    name), from the hour rows of ``namespace`` that overlap the window."""
    mine = [r for r in rows if r.namespace == namespace and in_window(r, since, upto)]
    by_action: dict[str, list[UsageDelta]] = {}
    for row in mine:
        by_action.setdefault(row.action, []).append(row)
    return {
        "namespace": namespace,
        "since": since,
        "upto": upto,
        **_figures(mine),
        "actions": [{"name": name, **_figures(by_action[name])} for name in sorted(by_action)],
    }


def usage_reports(
    rows: Iterable[UsageDelta], since: int | None, upto: int | None
) -> list[dict[str, Any]]:
    """One report per namespace that has usage in the window, by namespace."""
    listed = list(rows)
    names = sorted({r.namespace for r in listed if in_window(r, since, upto)})
    return [usage_report(name, listed, since, upto) for name in names]
