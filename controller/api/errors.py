"""The one place that turns Whisk's errors into HTTP: status codes and OpenWhisk's error body
``{"error": <message>, "code": <transaction id>}``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from whisk import errors
from whisk.metrics import Metrics

REALM = 'Basic realm="OpenWhisk secure realm"'

STATUS_BY_ERROR: tuple[tuple[type[errors.WhiskError], int], ...] = (
    (errors.PayloadTooLarge, 413),
    (errors.UnsupportedMediaType, 415),
    (errors.RequestError, 400),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Throttled, 429),
    (errors.Unavailable, 503),
    (errors.WhiskError, 500),
)

DEFAULT_MESSAGES = {
    400: "The request content was malformed.",
    401: errors.Unauthenticated.default_message,
    403: "The supplied authentication is not authorized to access this resource.",
    404: "The requested resource does not exist.",
    405: "The requested method is not allowed for this resource.",
    413: "The request content was too large.",
    415: "The request's Content-Type is not supported.",
    500: "An internal error occurred.",
    503: errors.Unavailable.default_message,
}


def status_for(error: errors.WhiskError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


# The 429 reasons, from OpenWhisk's messages (controller/throttle.py and the per-action limit).
REASON_ACTION_CONCURRENCY = "action_concurrency"
REASON_CONCURRENT = "concurrent_invocations"
REASON_FIRES_PER_MINUTE = "fires_per_minute"
REASON_INVOCATIONS_PER_MINUTE = "invocations_per_minute"
REASON_OTHER = "other"


def throttle_reason(error: errors.Throttled, route: str) -> str:
    """Which limit refused the request (pure): the message says which kind, the route whether
    a per-minute limit was on trigger fires or on invocations."""
    message = error.message
    if message.startswith("Too many concurrent requests in flight for this action"):
        return REASON_ACTION_CONCURRENCY
    if message.startswith("Too many concurrent requests in flight"):
        return REASON_CONCURRENT
    if message.startswith("Too many requests in the last minute"):
        return REASON_FIRES_PER_MINUTE if "/triggers/" in route else REASON_INVOCATIONS_PER_MINUTE
    return REASON_OTHER


def translate(error: errors.WhiskError, route: str, metrics: Metrics | None) -> int:
    """The HTTP status of ``error``; a 429 is counted by reason on the way out."""
    status = status_for(error)
    if metrics is not None and isinstance(error, errors.Throttled):
        metrics.record_throttle(throttle_reason(error, route))
    return status


def error_response(
    status: int, message: str | None, tid: str, headers: dict[str, str] | None = None
) -> web.Response:
    body: dict[str, Any] = {"error": message or DEFAULT_MESSAGES.get(status, "Error"), "code": tid}
    hdrs = dict(headers or {})
    if status == 401:
        hdrs["WWW-Authenticate"] = REALM
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers=hdrs,
    )
