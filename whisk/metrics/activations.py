"""From a completed activation record to the figures OpenWhisk's user-events service records
(pure: no I/O, no metrics library).

Labels as OpenWhisk's ``PrometheusRecorder`` has them: ``namespace`` and ``action`` split from
the record's ``path`` annotation (``ns/pkg/name`` gives namespace ``ns`` and action
``pkg/name``), ``initiator`` the invoking subject's namespace (the record's ``namespace``),
``kind`` and ``memory`` (MB, from the ``limits`` annotation). Status values are underscored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from whisk.entities.activation import Activation, StatusCode

STATUS_LABELS = {
    StatusCode.SUCCESS: "success",
    StatusCode.APPLICATION_ERROR: "application_error",
    StatusCode.DEVELOPER_ERROR: "action_developer_error",
    StatusCode.WHISK_ERROR: "whisk_internal_error",
}

UNKNOWN_KIND = "unknown"  # an activation that ended before it ran has no kind annotation


class ActionLabels(NamedTuple):
    namespace: str
    initiator: str
    action: str
    kind: str
    memory: str  # MB, as a label value


@dataclass(frozen=True, slots=True)
class ActivationFigures:
    labels: ActionLabels
    status: str
    duration_s: float
    wait_s: float
    init_s: float | None  # None: a warm start
    memory_mb: int

    @property
    def cold_start(self) -> bool:
        return self.init_s is not None


def _ms(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0.0, float(value)) / 1000.0


def figures_of(activation: Activation) -> ActivationFigures | None:
    """The figures of a completed record; ``None`` for a pending one."""
    status = activation.status_code
    if status is None:
        return None
    path = activation.annotation("path")
    if not isinstance(path, str) or "/" not in path:
        path = f"{activation.namespace}/{activation.name}"
    namespace, _, action = path.partition("/")
    kind = activation.annotation("kind")
    limits = activation.annotation("limits")
    memory = limits.get("memory") if isinstance(limits, dict) else None
    memory_mb = memory if isinstance(memory, int) and not isinstance(memory, bool) else 0
    duration = activation.effective_duration
    return ActivationFigures(
        labels=ActionLabels(
            namespace=namespace,
            initiator=activation.namespace,
            action=action,
            kind=kind if isinstance(kind, str) and kind else UNKNOWN_KIND,
            memory=str(memory_mb),
        ),
        status=STATUS_LABELS[status],
        duration_s=(duration or 0) / 1000.0,
        wait_s=_ms(activation.annotation("waitTime")) or 0.0,
        init_s=_ms(activation.annotation("initTime")),
        memory_mb=memory_mb,
    )
