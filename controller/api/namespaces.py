"""``/namespaces``: the caller's namespace, its limits and its usage (``whisk.usage``)."""

from __future__ import annotations

from aiohttp import web

from controller.api.auth import require_own
from controller.api.http import controller, identity, json_response
from controller.api.query import parse_window
from whisk.usage import hours_overlapping, usage_report


async def list_namespaces(request: web.Request) -> web.Response:
    who = await identity(request)
    return json_response([who.namespace])


async def get_limits(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    require_own(who, request.match_info["ns"])
    return json_response(ctl.limits_for(who).to_json())


async def get_usage(request: web.Request) -> web.Response:
    """What the namespace's primitive activations added up to in the hour buckets that overlap
    ``[since, upto]`` (epoch ms; default: everything), in total and per action."""
    ctl, who = controller(request), await identity(request)
    namespace = require_own(who, request.match_info["ns"])
    since, upto = parse_window(request.query, "usage")
    first, last = hours_overlapping(since, upto)
    rows = await ctl.store.list_usage(namespace, first, last)
    return json_response(usage_report(namespace, rows, since, upto))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/namespaces", list_namespaces)
    app.router.add_get("/api/v1/namespaces/", list_namespaces)
    app.router.add_get("/api/v1/namespaces/{ns}/limits", get_limits)
    app.router.add_get("/api/v1/namespaces/{ns}/usage", get_usage)
