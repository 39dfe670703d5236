"""The one place that turns Whisk's errors into HTTP: status codes and OpenWhisk's error body
``{"error": <message>, "code": <transaction id>}``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from whisk import errors

REALM = 'Basic realm="OpenWhisk secure realm"'

STATUS_BY_ERROR: tuple[tuple[type[errors.WhiskError], int], ...] = (
    (errors.PayloadTooLarge, 413),
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
    500: "An internal error occurred.",
    503: errors.Unavailable.default_message,
}


def status_for(error: errors.WhiskError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


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
