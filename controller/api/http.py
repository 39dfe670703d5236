"""Request and response helpers shared by the API modules."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from controller.api.auth import Authenticator
from controller.context import Controller
from whisk import codec
from whisk.errors import MalformedRequest, PayloadTooLarge, UnsupportedMediaType
from whisk.metrics import Metrics
from whisk.store.ports import Identity

CONTROLLER_KEY = web.AppKey("controller", Controller)
AUTH_KEY = web.AppKey("authenticator", Authenticator)
TID_KEY = web.RequestKey("tid", str)
METRICS_KEY = web.AppKey("metrics", Metrics)
UNMATCHED = "unmatched"  # no route: a 404 or 405 before any handler


def controller(request: web.Request) -> Controller:
    return request.app[CONTROLLER_KEY]


async def identity(request: web.Request) -> Identity:
    return await request.app[AUTH_KEY].identify(request)


def tid(request: web.Request) -> str:
    return str(request.get(TID_KEY, ""))


def route_of(request: web.Request) -> str:
    """The matched route's pattern (``.../actions/{name}``), never the raw URL."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def metrics_of(request: web.Request) -> Metrics | None:
    return request.app.get(METRICS_KEY)


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; an empty body is ``None`` (treated as ``{}`` by callers)."""
    return (await read_json_sized(request))[0]


async def read_json_sized(request: web.Request) -> tuple[Any, int]:
    """The body as JSON and its size in bytes."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large(request) from exc
    if not raw.strip():
        return None, len(raw)
    check_media_type(request)
    if ESCAPED_NUL.search(raw):
        raise MalformedRequest(
            "The request content was malformed:\nthe character U+0000 (NUL) is not allowed."
        )
    try:
        return codec.loads(raw), len(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest(f"The request content was malformed:\n{exc}") from exc
    except RecursionError as exc:
        raise MalformedRequest(
            "The request content was malformed:\nJSON is nested too deeply"
        ) from exc


# \u0000 in a JSON string (an odd run of backslashes before u0000): PostgreSQL's JSONB cannot
# hold it, so every store refuses it alike rather than one of them failing with a 500.
ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")

# Bodies read as JSON whatever they say they are: curl's default for -d, and no type at all.
LENIENT_MEDIA_TYPES = frozenset(
    {"", "application/json", "application/x-www-form-urlencoded", "application/octet-stream"}
)


def check_media_type(request: web.Request) -> None:
    """A body that declares another media type (XML, text, multipart...) is refused with 415,
    as OpenWhisk refuses a non-JSON entity; ``application/*+json`` is JSON."""
    media = request.content_type.lower() if "Content-Type" in request.headers else ""
    if media in LENIENT_MEDIA_TYPES or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return
    raise UnsupportedMediaType(
        "The request's Content-Type is not supported. Expected:\napplication/json"
    )


def too_large(request: web.Request) -> PayloadTooLarge:
    size = request.content_length
    limit = request.app._client_max_size
    shown = str(size) if size is not None else "more"
    return PayloadTooLarge(f"Request larger than allowed: {shown} > {limit} bytes.")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=codec.dumps(data),
        content_type="application/json",
        headers=headers,
    )
