"""``/namespaces``: the caller's namespace, and its limits."""

from __future__ import annotations

from aiohttp import web

from controller.api.auth import require_own
from controller.api.http import controller, identity, json_response


async def list_namespaces(request: web.Request) -> web.Response:
    who = await identity(request)
    return json_response([who.namespace])


async def get_limits(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    require_own(who, request.match_info["ns"])
    return json_response(ctl.limits_for(who).to_json())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/namespaces", list_namespaces)
    app.router.add_get("/api/v1/namespaces/", list_namespaces)
    app.router.add_get("/api/v1/namespaces/{ns}/limits", get_limits)
