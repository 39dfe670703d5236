"""Reliable async work (beyond OpenWhisk): a non-blocking or trigger-fired activation that
fails can be retried with backoff and, when it still fails, handed to a dead-letter
destination.

Per action, by annotations:
  ``retry``        ``{"attempts": N, "backoffMs": B}``: up to N more runs, the k-th after
                   ``B * 2**(k-1)`` ms (N <= 10, B <= 1 hour);
  ``dead-letter``  ``{"trigger": "/ns/name"}`` (fired with the failure) or ``{"topic": "name"}``
                   (a record on the controller's bus: a Kafka topic in the Kafka deployment).
Each retry is a new activation annotated ``retryOf`` (the first activation's id) and
``attempt``; the last failed activation gets a ``deadLetter`` annotation naming where it went.
Retries wait in the controller that accepted the activation: a restart drops the ones not yet
started (they are recorded failures, never silent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_ATTEMPTS = 10
MAX_BACKOFF_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 0
    backoff_ms: int = 1_000
    dead_letter_trigger: str | None = None
    dead_letter_topic: str | None = None

    @property
    def active(self) -> bool:
        return (
            self.attempts > 0
            or self.dead_letter_trigger is not None
            or (self.dead_letter_topic is not None)
        )

    def delay_ms(self, attempt: int) -> int:
        """The wait before retry number ``attempt`` (1-based)."""
        return min(self.backoff_ms * int(2 ** (attempt - 1)), MAX_BACKOFF_MS)

    def should_retry(self, attempt_done: int) -> bool:
        """``attempt_done`` runs have failed so far (the first run is attempt 0)."""
        return attempt_done < self.attempts


def policy_from_annotations(annotations: Mapping[str, Any]) -> RetryPolicy:
    """Read the policy; malformed values are ignored rather than failing invocations."""
    retry = annotations.get("retry")
    attempts, backoff = 0, 1_000
    if isinstance(retry, Mapping):
        raw_attempts = retry.get("attempts", 0)
        raw_backoff = retry.get("backoffMs", 1_000)
        if isinstance(raw_attempts, int) and not isinstance(raw_attempts, bool):
            attempts = max(0, min(raw_attempts, MAX_ATTEMPTS))
        if isinstance(raw_backoff, int) and not isinstance(raw_backoff, bool):
            backoff = max(0, min(raw_backoff, MAX_BACKOFF_MS))
    dead = annotations.get("dead-letter")
    trigger = topic = None
    if isinstance(dead, Mapping):
        trigger = dead.get("trigger") if isinstance(dead.get("trigger"), str) else None
        topic = dead.get("topic") if isinstance(dead.get("topic"), str) else None
    return RetryPolicy(attempts, backoff, trigger, topic)


def failure_payload(activation: Mapping[str, Any], action: str, attempts: int) -> dict[str, Any]:
    """What a dead-letter destination receives about the failed activation."""
    response = activation.get("response") or {}
    return {
        "activationId": activation.get("activationId"),
        "action": action,
        "attempts": attempts,
        "statusCode": response.get("statusCode"),
        "result": response.get("result"),
    }
