"""The invoker's health port, as OpenWhisk's invoker has one: ``GET /ping`` (``pong``) and
``GET /metrics`` (Prometheus text format), unauthenticated. Never the public API."""

from __future__ import annotations

from aiohttp import web

from whisk.metrics import CONTENT_TYPE, Metrics

METRICS_KEY = web.AppKey("metrics", Metrics)


async def ping(request: web.Request) -> web.Response:
    return web.Response(text="pong")


async def scrape(request: web.Request) -> web.Response:
    body = request.app[METRICS_KEY].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def health_app(metrics: Metrics) -> web.Application:
    app = web.Application()
    app[METRICS_KEY] = metrics
    app.router.add_get("/ping", ping)
    app.router.add_get("/metrics", scrape)
    return app


async def start_health_server(metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """Listening once this returns; ``await runner.cleanup()`` stops it."""
    runner = web.AppRunner(health_app(metrics), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
