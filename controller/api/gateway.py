"""The API gateway on the controller's HTTP server.

- ``/api/v1/web/whisk.system/apimgmt/{createApi|getApi|deleteApi}[.ext]``: the route
  management web actions, answered here (as the feed actions are, controller/api/feeds.py:
  action containers have no network, and the routes live in this controller's database). These
  paths win over the generic web action route (aiohttp looks up the longest prefix first).
- ``/api/{namespace}/{basePath}{relPath}``: the gateway. The request is forwarded, inside this
  process, to the web action its operation names, with its method, headers, query and body,
  as OpenWhisk's gateway proxies it (plus ``X-Forwarded-Url``, and the action's
  ``X-Require-Whisk-Auth`` secret when the API holds one); the API's CORS setting then shapes
  the answer's CORS headers. Errors are the gateway's: ``{"status": 404, "message": "Error: ..."}``.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from controller.api.http import AUTH_KEY, controller
from controller.apigw import management
from controller.apigw.matching import cors_enabled, find_route, target_of
from controller.webactions.cors import cors_headers
from whisk.errors import WhiskError

log = structlog.get_logger(__name__)

MGMT_PREFIX = "/api/v1/web/whisk.system/apimgmt"
GATEWAY_METHODS = "GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS"
_CORS_NAMES = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Credentials",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
)


def origin_of(request: web.Request) -> str:
    """The scheme and host the client used (``X-Forwarded-Proto``/``-Host`` first)."""
    scheme = request.headers.get("X-Forwarded-Proto") or request.scheme
    host = request.headers.get("X-Forwarded-Host") or request.host
    return f"{scheme}://{host}"


async def _web_params(request: web.Request) -> dict[str, Any]:
    """As a web action receives them: the query, then a JSON object body over it."""
    params: dict[str, Any] = dict(request.query)
    raw = await request.read()
    if raw:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            body = None
        if isinstance(body, dict):
            params.update(body)
    return params


async def _user(request: web.Request) -> str | None:
    """``__ow_user``: the caller's namespace when it sent a valid key."""
    if not request.headers.get("Authorization"):
        return None
    try:
        return (await request.app[AUTH_KEY].identify(request)).namespace
    except WhiskError:
        return None


async def apimgmt(request: web.Request) -> web.Response:
    name = request.match_info["action"].split(".", 1)[0]
    headers = cors_headers(request.headers.get("Access-Control-Request-Headers"))
    if name not in ("createApi", "getApi", "deleteApi"):
        return web.json_response(
            {"error": "The requested resource does not exist."}, status=404, headers=headers
        )
    if request.method == "OPTIONS":
        return web.Response(status=200, headers=headers)
    routes = controller(request).persistence.routes
    params, user = await _web_params(request), await _user(request)
    if name == "createApi":
        reply = await management.create_api(routes, params, user, origin_of(request))
    elif name == "getApi":
        reply = await management.get_api(routes, params, user, origin_of(request))
    else:
        reply = await management.delete_api(routes, params, user)
    log.info("apimgmt", action=name, status=reply.status, namespace=user)
    return web.json_response(reply.body, status=reply.status, headers=headers)


def _gateway_error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": f"Error: {message}"}, status=status)


async def gateway(request: web.Request) -> web.StreamResponse:
    namespace = request.match_info["namespace"]
    path = "/" + request.match_info.get("path", "")
    apis = await controller(request).persistence.routes.list_apis(namespace)
    route = find_route(apis, path)
    if route is None:
        return _gateway_error(404, "Not found.")
    cors = cors_enabled(route.api.swagger)
    if cors is True and request.method == "OPTIONS":
        reply = web.Response(status=200)
        asked = request.headers.get("Access-Control-Request-Headers")
        if asked:
            reply.headers["Access-Control-Allow-Headers"] = asked
        _shape_cors(reply, request, cors)
        return reply
    target = target_of(route, request.method, path)
    if target is None:
        return _gateway_error(404, "Whoops. Verb not supported.")
    response = await _forward(request, target.web_path, target.secure_key)
    _shape_cors(response, request, cors)
    return response


async def _forward(request: web.Request, web_path: str, secret: str | None) -> web.StreamResponse:
    """Run the web action route for ``web_path`` on this very request (an internal redirect:
    same method, headers, query and body stream)."""
    headers: CIMultiDict[str] = CIMultiDict(request.headers)
    headers["X-Forwarded-Url"] = f"{origin_of(request)}{request.raw_path}"
    if secret is not None:
        headers["X-Require-Whisk-Auth"] = secret
    query = request.rel_url.raw_query_string
    url = URL(web_path + (f"?{query}" if query else ""), encoded=True)
    inner = request.clone(rel_url=url, headers=headers)
    match = await request.app.router.resolve(inner)
    if match.http_exception is not None:
        raise match.http_exception
    match.add_app(request.app)
    match.freeze()
    inner._match_info = match  # as aiohttp's own dispatch does (web_app._handle)
    return await match.handler(inner)


def _shape_cors(response: web.StreamResponse, request: web.Request, cors: bool | None) -> None:
    """The API's CORS setting over the action's own headers: on, as the gateway sets them;
    off, none at all; unset, the action's as they are."""
    if cors is None:
        return
    if cors is False:
        for name in _CORS_NAMES:
            response.headers.popall(name, None)
        return
    response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin") or "*"
    response.headers["Access-Control-Allow-Methods"] = GATEWAY_METHODS
    response.headers["Access-Control-Allow-Credentials"] = "true"


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", MGMT_PREFIX + "/{action}", apimgmt)
    # ``v1`` is the REST API's own prefix, never a gateway namespace: its paths keep their
    # answers (405 for a method a resource does not have, 404 for no resource)
    app.router.add_route("*", "/api/{namespace:(?!v1(?:/|$))[^/]+}/{path:.*}", gateway)
