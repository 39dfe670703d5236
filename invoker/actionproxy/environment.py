"""Environment variables of an activation: ``__OW_<KEY>`` for every non-``value`` key of /run,
and the ``env`` map of /init. Values become strings the way OpenWhisk does it."""

from __future__ import annotations

import json
from collections.abc import Mapping

RUN_PREFIX = "__OW_"


def as_env_value(value: object) -> str:
    """Strings as-is, null as "", bools and numbers as JSON text, others as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


def run_environment(message: Mapping[str, object]) -> dict[str, str]:
    """The ``__OW_*`` variables of one /run body (every key but ``value``)."""
    return {
        RUN_PREFIX + key.upper(): as_env_value(value)
        for key, value in message.items()
        if key != "value"
    }


def init_environment(env: object) -> dict[str, str]:
    """The variables of the /init ``env`` map; anything but a JSON object gives none."""
    if not isinstance(env, Mapping):
        return {}
    return {str(key): as_env_value(value) for key, value in env.items()}
