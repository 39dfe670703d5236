"""What the balancer keeps per activation in flight, and what an acknowledgement means (pure).

An invoker acknowledges on ``completed{C}`` with one of three messages (notes §3.2):

- ``CombinedCompletionAndResult``: frees the slot and carries the result;
- ``ResultMessage``: the result of a blocking activation, early; the slot stays taken;
- ``CompletionMessage``: frees the slot (after logs were collected, or for non-blocking work).

``read_ack`` turns any of them into an ``Ack``: the activation id, whether the slot is freed,
the activation record when the message carried one (not shrunk to the id), and whether the
invoker reported a system error (``whisk internal error``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from whisk.entities.activation import StatusCode
from whisk.messages import (
    AcknowledgementMessage,
    CombinedCompletionAndResult,
    CompletionMessage,
    ResultMessage,
    TransactionId,
)


@dataclass(frozen=True, slots=True)
class ActivationEntry:
    """One activation this controller published and has not seen completed.

    ``deadline`` and ``issued_at`` are in the balancer's clock (monotonic seconds): past the
    deadline the slot is force-released and the invoker charged a timeout.
    """

    activation_id: str
    namespace: str
    action: str
    invoker: int
    memory_mb: int
    blocking: bool
    deadline: float
    issued_at: float
    transid: TransactionId
    overloaded: bool = False


@dataclass(frozen=True, slots=True)
class AckResult:
    """How an activation ended for the caller of ``LoadBalancer.publish``.

    ``record`` is the activation record JSON when the ack carried it (blocking activations),
    else ``None`` (the record is in the store). ``forced``: no completion came in time; the
    balancer gave up on it and ``record`` is ``None``.
    """

    activation_id: str
    invoker: int
    record: dict[str, Any] | None
    is_system_error: bool
    forced: bool = False


@dataclass(frozen=True, slots=True)
class Ack:
    activation_id: str
    frees_slot: bool
    record: dict[str, Any] | None
    is_system_error: bool


def read_ack(message: AcknowledgementMessage) -> Ack:
    match message:
        case CombinedCompletionAndResult():
            record = message.response if isinstance(message.response, dict) else None
            return Ack(message.activation_id, True, record, message.is_system_error)
        case CompletionMessage():
            return Ack(message.activation_id, True, None, message.is_system_error)
        case ResultMessage():
            record = message.response if isinstance(message.response, dict) else None
            return Ack(message.activation_id, False, record, record_is_system_error(record))
    raise TypeError(f"not an acknowledgement: {message!r}")


def record_is_system_error(record: dict[str, Any] | None) -> bool:
    """Does an activation record (stored or REST form) hold a whisk internal error?"""
    if record is None or not isinstance(record.get("response"), dict):
        return False
    response = record["response"]
    if response.get("statusCode") == StatusCode.WHISK_ERROR:
        return True
    return bool(response.get("status") == StatusCode.WHISK_ERROR.status)


def deadline_s(timeout_ms: int, *, floor_ms: int, factor: float, addon_ms: int) -> float:
    """Seconds after publishing when a missing completion is forced (OpenWhisk's formula:
    ``max(action timeout, 1 min) * timeout factor + timeout add-on``)."""
    return (max(timeout_ms, floor_ms) * factor + addon_ms) / 1000
