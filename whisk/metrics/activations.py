"""From a completed activation record to the figures OpenWhisk's user-events service records
(pure: no I/O, no metrics library).

Labels as OpenWhisk's ``PrometheusRecorder`` has them: ``namespace`` and ``action`` split from
the record's ``path`` annotation (``ns/pkg/name`` gives namespace ``ns`` and action
``pkg/name``), ``initiator`` the invoking subject's namespace (the record's ``namespace``),
``kind`` and ``memory`` (MB, from the ``limits`` annotation). Status values are underscored.

``reading`` is the hot path (once per activation): one pass over the annotations, a plain
tuple out, the labels left as a key that ``labels_of`` expands once per action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from whisk.entities.activation import Activation, StatusCode

STATUS_LABELS = {
    StatusCode.SUCCESS: "success",
    StatusCode.APPLICATION_ERROR: "application_error",
    StatusCode.DEVELOPER_ERROR: "action_developer_error",
    StatusCode.WHISK_ERROR: "whisk_internal_error",
}

UNKNOWN_KIND = "unknown"  # an activation that ended before it ran has no kind annotation
_WANTED = frozenset({"path", "kind", "limits", "waitTime", "initTime"})

# (path, initiator, kind, memory limit as annotated): what tells one series from another
SeriesKey = tuple[str, str, Any, Any]


class ActionLabels(NamedTuple):
    namespace: str
    initiator: str
    action: str
    kind: str
    memory: str  # MB, as a label value


class Reading(NamedTuple):
    key: SeriesKey
    status: str
    duration_s: float
    wait_s: float
    init_s: float | None  # None: a warm start


@dataclass(frozen=True, slots=True)
class ActivationFigures:
    labels: ActionLabels
    status: str
    duration_s: float
    wait_s: float
    init_s: float | None
    memory_mb: int

    @property
    def cold_start(self) -> bool:
        return self.init_s is not None


_NUMBERS = (int, float)  # exact types: a bool is no duration


def _seconds(value: object) -> float | None:
    if type(value) not in _NUMBERS:
        return None
    return max(0.0, value / 1000.0)  # type: ignore[operator]


def memory_mb(limits: object) -> int:
    memory = limits.get("memory") if type(limits) is dict else None
    return memory if type(memory) is int else 0


def reading(activation: Activation) -> Reading | None:
    """The figures of a completed record, labels as a key; ``None`` for a pending one."""
    response = activation.response
    if response is None:
        return None
    notes: dict[str, Any] = {}
    for note in activation.annotations:
        key = note.get("key")
        if key in _WANTED:
            notes[key] = note.get("value")
    duration = activation.duration
    if duration is None:
        duration = activation.end - activation.start
    path = notes.get("path")
    if not isinstance(path, str) or "/" not in path:
        path = f"{activation.namespace}/{activation.name}"
    limits = notes.get("limits")
    return Reading(
        (path, activation.namespace, notes.get("kind"), memory_mb(limits)),
        STATUS_LABELS[response.status_code],
        duration / 1000.0,
        _seconds(notes.get("waitTime")) or 0.0,
        _seconds(notes.get("initTime")),
    )


def labels_of(key: SeriesKey) -> ActionLabels:
    path, initiator, kind, memory = key
    namespace, _, action = path.partition("/")
    return ActionLabels(
        namespace=namespace,
        initiator=initiator,
        action=action,
        kind=kind if isinstance(kind, str) and kind else UNKNOWN_KIND,
        memory=str(memory),
    )


def figures_of(activation: Activation) -> ActivationFigures | None:
    """``reading`` with its labels spelled out."""
    read = reading(activation)
    if read is None:
        return None
    labels = labels_of(read.key)
    return ActivationFigures(
        labels, read.status, read.duration_s, read.wait_s, read.init_s, int(labels.memory)
    )
