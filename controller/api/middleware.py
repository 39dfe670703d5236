"""Middlewares: transaction ids, CORS, and the translation of errors into OpenWhisk's shape."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from controller.api.errors import error_response, translate
from controller.api.http import TID_KEY, metrics_of, route_of, too_large
from whisk.errors import WhiskError

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, DELETE, POST, PUT, HEAD",
    "Access-Control-Allow-Headers": (
        "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent"
    ),
}


@web.middleware
async def transaction_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reuse the caller's ``X-Request-ID`` or make one; bind it to every log line."""
    tid = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    request[TID_KEY] = tid
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(transid=tid)
    response = await handler(request)
    response.headers["X-Request-ID"] = tid
    return response


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == "OPTIONS" and request.path.startswith("/api/v1/namespaces"):
        return web.Response(status=200, headers=CORS_HEADERS)
    response = await handler(request)
    if request.path.startswith("/api/v1") and not request.path.startswith("/api/v1/web/"):
        for key, value in CORS_HEADERS.items():
            response.headers.setdefault(key, value)
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    tid = request.get(TID_KEY, "")
    try:
        return await handler(request)
    except WhiskError as exc:
        status = translate(exc, route_of(request), metrics_of(request))
        if status >= 500:
            log.warning("request failed", status=status, error=exc.message)
        return error_response(status, exc.message, tid)
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, too_large(request).message, tid)
    except web.HTTPException as exc:  # route misses, wrong methods
        if exc.status < 400:
            raise
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return error_response(exc.status, None, tid, allow)
    except Exception:
        log.exception("unhandled error", path=request.path, method=request.method)
        return error_response(500, None, tid)
