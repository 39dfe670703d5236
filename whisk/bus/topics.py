"""Topic and consumer-group names, and how long each topic keeps its records (pure).

As OpenWhisk (notes §3.1): each invoker N reads ``invoker{N}`` in group ``invoker{N}``; each
controller C reads its acknowledgements from ``completed{C}`` in group ``completed{C}``; every
controller reads ``health`` in its own group ``health{C}`` so that each sees every ping.
An optional prefix (OpenWhisk's ``whisk.kafka.topics.prefix``) lets stacks share a cluster.
"""

from __future__ import annotations

import re

from whisk.errors import InvalidArgument

HEALTH = "health"
CACHE_INVALIDATION = "cacheInvalidation"
EVENTS = "events"

MINUTE_MS = 60 * 1000
HOUR_MS = 60 * MINUTE_MS
INVOKER_RETENTION_MS = 48 * HOUR_MS
COMPLETED_RETENTION_MS = HOUR_MS
HEALTH_RETENTION_MS = HOUR_MS
CACHE_INVALIDATION_RETENTION_MS = 5 * MINUTE_MS
EVENTS_RETENTION_MS = HOUR_MS

_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_CONTROLLER = re.compile(r"^[A-Za-z0-9._-]+$")


def validate_topic(name: str) -> str:
    """Return ``name`` if Kafka accepts it as a topic name, else raise ``InvalidArgument``."""
    if not _TOPIC.match(name) or name in (".", ".."):
        raise InvalidArgument(f"invalid topic name {name!r}")
    return name


def _invoker(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidArgument(f"invoker number must be an int >= 0, got {n!r}")
    return n


def _controller(c: str | int) -> str:
    text = str(_invoker(c)) if isinstance(c, int) else c
    if not _CONTROLLER.match(text):
        raise InvalidArgument(f"invalid controller id {c!r}")
    return text


def invoker_topic(n: int, prefix: str = "") -> str:
    return validate_topic(f"{prefix}invoker{_invoker(n)}")


def completed_topic(controller: str | int, prefix: str = "") -> str:
    return validate_topic(f"{prefix}completed{_controller(controller)}")


def health_topic(prefix: str = "") -> str:
    return validate_topic(f"{prefix}{HEALTH}")


def invoker_group(n: int) -> str:
    return f"invoker{_invoker(n)}"


def completed_group(controller: str | int) -> str:
    return f"completed{_controller(controller)}"


def health_group(controller: str | int) -> str:
    return f"health{_controller(controller)}"


def retention_ms(topic: str, prefix: str = "") -> int:
    """How long ``topic`` keeps records; unknown topics get the invoker topics' 48 h."""
    name = topic.removeprefix(prefix)
    if re.fullmatch(r"completed[A-Za-z0-9._-]+", name):
        return COMPLETED_RETENTION_MS
    if name == HEALTH:
        return HEALTH_RETENTION_MS
    if name == CACHE_INVALIDATION:
        return CACHE_INVALIDATION_RETENTION_MS
    if name == EVENTS:
        return EVENTS_RETENTION_MS
    return INVOKER_RETENTION_MS
