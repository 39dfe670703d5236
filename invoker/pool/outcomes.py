"""What an /init or /run answer means for the activation (pure: OpenWhisk's rules, §2.1).

``init_outcome`` gives None when /init succeeded, else the developer error to record.
``run_outcome`` always gives the activation's response. In both, a developer or whisk error
means the container must be destroyed (``ActivationResponse.is_container_error``).
"""

from __future__ import annotations

import json
from typing import Any

from invoker.containers.ports import ProxyResponse
from whisk.entities.activation import (
    ActivationResponse,
    application_error,
    developer_error,
    success,
)

INIT_TIMEOUT = "The action exceeded its time limits of {} milliseconds during initialization."
RUN_TIMEOUT = "The action exceeded its time limits of {} milliseconds."
EXITED = "The action did not produce a valid response and exited unexpectedly."
OOM = "The action exhausted its memory and was aborted."
INIT_FAILED = "The action failed during initialization: {}"
INVALID_RUN = "The action did not produce a valid JSON or JSON Array response: {}"
TRUNCATED = (
    "The action produced a response that exceeded the allowed length: {} > {} bytes. "
    "The truncated response was: {}"
)
LOGS_MISSING = "The action did not initialize or run as expected. Log data might be missing."


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _json(body: bytes) -> Any:
    """The body as JSON, or a sentinel ``_INVALID`` when it is not JSON."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _INVALID


_INVALID = object()


def init_outcome(
    response: ProxyResponse, timeout_ms: int, oom_killed: bool = False
) -> ActivationResponse | None:
    if response.timed_out:
        return developer_error(INIT_TIMEOUT.format(timeout_ms))
    if response.connection_lost or response.status == 0:
        return developer_error(OOM if oom_killed else EXITED)
    if response.status == 200:
        return None
    parsed = _json(response.body)
    if isinstance(parsed, dict) and "error" in parsed:
        return developer_error(parsed["error"])
    return developer_error(INIT_FAILED.format(_text(response.body)))


def run_outcome(
    response: ProxyResponse, timeout_ms: int, max_result_bytes: int, oom_killed: bool = False
) -> ActivationResponse:
    body = response.body
    size = response.full_size  # of a result over the limit, only the head was read
    if response.status == 200 and size <= max_result_bytes:
        # the common case first: an object without "error" is a success
        parsed = _json(body)
        if type(parsed) is dict and "error" not in parsed:
            return success(parsed, size=size)
    if response.timed_out:
        return developer_error(RUN_TIMEOUT.format(timeout_ms))
    if response.connection_lost or response.status == 0:
        return developer_error(OOM if oom_killed else EXITED)
    if size > max_result_bytes:
        head = _text(body[:max_result_bytes])
        return application_error(TRUNCATED.format(size, max_result_bytes, head), size=size)
    parsed = _json(body)
    ok = response.status == 200
    if isinstance(parsed, dict) and "error" in parsed:
        if ok:
            return application_error(parsed["error"], size=size)
        return developer_error(parsed["error"])
    if ok and isinstance(parsed, dict | list):
        return success(parsed, size=size)
    return developer_error(INVALID_RUN.format(_text(body)))
