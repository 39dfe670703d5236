"""The bodies of /init and /run for one run request, and container names (pure).

Shapes are OpenWhisk's (reference §2.1): /init gets ``{"name", "main", "code", "binary",
"env"}`` (wrapped in ``{"value": ...}`` by the container client); /run gets the parameters as
``value`` plus the activation context keys, which the proxy exposes as ``__OW_<KEY>``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from invoker.pool.requests import RunRequest


def env_value(value: Any) -> str:
    """Init parameters become strings: strings as-is, null as "", others as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


def context(request: RunRequest, deadline_ms: int) -> dict[str, str]:
    """The activation context (without ``value``), keyed as /run wants it."""
    ctx = {
        "namespace": request.namespace,
        "action_name": "/" + request.action,
        "action_version": request.version,
        "activation_id": str(request.activation_id),
        "transaction_id": request.transaction_id,
        "deadline": str(deadline_ms),
    }
    if request.api_key is not None:
        ctx["api_key"] = request.api_key
    return ctx


def init_payload(request: RunRequest, deadline_ms: int) -> dict[str, Any]:
    env = {key: env_value(value) for key, value in request.init_params.items()}
    env.update(
        {f"__OW_{key.upper()}": value for key, value in context(request, deadline_ms).items()}
    )
    payload: dict[str, Any] = {
        "name": request.name,
        "main": request.exec.main or "main",
        "binary": request.exec.binary,
    }
    if request.exec.code is not None:
        payload["code"] = request.exec.code
    if env:
        payload["env"] = env
    return payload


def run_payload(request: RunRequest, deadline_ms: int) -> dict[str, Any]:
    value = request.params
    if isinstance(value, dict) and request.init_params:
        value = {k: v for k, v in value.items() if k not in request.init_params}
    return {"value": value, **context(request, deadline_ms)}


_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")


def container_name(prefix: str, counter: int, *parts: str) -> str:
    """``wsk0_12_prewarm_python3.11`` / ``wsk0_13_guest_hello``: Docker-safe, at most 63 chars."""
    safe = [_UNSAFE.sub("", p.replace(":", "").replace("/", "_")) for p in parts]
    return "_".join([prefix, str(counter), *safe])[:63]
