"""``GET /metrics`` (Prometheus text format, unauthenticated as OpenWhisk's) and the count of
HTTP requests by method, route and status.

The route is the aiohttp resource's canonical pattern (``/api/v1/namespaces/{namespace}/actions
/{name}``), never the raw URL, so the label's values stay as few as the routes.
"""

from __future__ import annotations

from aiohttp import web

from controller.api.http import METRICS_KEY, route_of
from controller.api.middleware import Handler
from whisk.metrics import CONTENT_TYPE


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: counts the status the client gets, errors translated or not."""
    metrics = request.app[METRICS_KEY]
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        metrics.record_request(request.method, route_of(request), exc.status)
        raise
    except BaseException:
        metrics.record_request(request.method, route_of(request), 500)
        raise
    metrics.record_request(request.method, route_of(request), response.status)
    return response


async def scrape(request: web.Request) -> web.Response:
    body = request.app[METRICS_KEY].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", scrape)
