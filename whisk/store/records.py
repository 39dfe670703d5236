"""An activation as the store indexes it (the one place that builds an ``ActivationRecord``)."""

from __future__ import annotations

from whisk.entities.activation import Activation
from whisk.store.ports import ActivationRecord


def activation_record(activation: Activation, package: str | None) -> ActivationRecord:
    """``package`` is the package (or binding) segment the activation list filters on."""
    status = activation.status_code
    return ActivationRecord(
        activation_id=str(activation.activation_id),
        namespace=activation.namespace,
        name=activation.name,
        package=package,
        start=activation.start,
        end=activation.end,
        status_code=None if status is None else int(status),
        doc=activation.to_stored_doc(),
    )
