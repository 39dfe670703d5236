"""Unauthenticated routes: ``GET /`` (limits and runtimes), ``GET /api/v1``, ``/ping`` and our
OpenAPI document at ``/api/v1/api-docs``."""

from __future__ import annotations

from aiohttp import web

import whisk
from controller.api.http import AUTH_KEY, controller, json_response
from controller.api.openapi import for_namespace, openapi_document
from controller.api.openapi_schemas import DocumentBounds
from controller.context import Controller
from whisk.entities.exec import MAX_SEQUENCE_LENGTH
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.errors import WhiskError


def info_limits(limits: NamespaceLimits) -> dict[str, int]:
    """OpenWhisk's ``limits`` object of ``GET /``: its 16 fields, in its order, all integers;
    durations in ms, memory and logs in bytes. The namespace defaults (``default_*``) are the
    system ranges, as in a deployment without namespace-default overrides."""
    r = limits.ranges
    mb = 1024 * 1024
    return {
        "actions_per_minute": int(limits.invocations_per_minute),
        "triggers_per_minute": int(limits.fires_per_minute),
        "concurrent_actions": int(limits.concurrent_invocations),
        "sequence_length": MAX_SEQUENCE_LENGTH,
        "default_min_action_duration": r.timeout_ms.min,
        "default_max_action_duration": r.timeout_ms.max,
        "default_min_action_memory": r.memory_mb.min * mb,
        "default_max_action_memory": r.memory_mb.max * mb,
        "default_min_action_logs": r.logs_mb.min * mb,
        "default_max_action_logs": r.logs_mb.max * mb,
        "min_action_duration": r.timeout_ms.min,
        "max_action_duration": r.timeout_ms.max,
        "min_action_memory": r.memory_mb.min * mb,
        "max_action_memory": r.memory_mb.max * mb,
        "min_action_logs": r.logs_mb.min * mb,
        "max_action_logs": r.logs_mb.max * mb,
    }


async def root_info(request: web.Request) -> web.Response:
    ctl = controller(request)
    return json_response(
        {
            "description": "Whisk, an OpenWhisk-compatible serverless engine",
            "support": {"github": "", "slack": ""},
            "api_paths": ["/api/v1"],
            "limits": info_limits(ctl.settings.system_limits),
            "runtimes": ctl.manifest.to_info_json(),
        }
    )


async def api_info(request: web.Request) -> web.Response:
    return json_response(
        {
            "description": "OpenWhisk API",
            "api_version": "1.0.0",
            "api_version_path": "v1",
            "build": f"whisk-{whisk.__version__}",
            "buildno": whisk.__version__,
            "swagger_paths": {"ui": "/docs", "api-docs": "/api-docs"},
        }
    )


async def ping(request: web.Request) -> web.Response:
    return web.Response(text="pong")


async def invokers(request: web.Request) -> web.Response:
    """``{"invoker0": "up"|"unhealthy"|"unresponsive"|"down"}`` as OpenWhisk's admin route."""
    health = controller(request).invoker_health
    return json_response(health() if health else {})


async def healthy_count(request: web.Request) -> web.Response:
    """``GET /invokers/healthy/count``: how many invokers are up (OpenWhisk's admin route)."""
    health = controller(request).invoker_health
    states = health() if health else {}
    return json_response(sum(1 for state in states.values() if state == "up"))


async def ready(request: web.Request) -> web.Response:
    """``GET /invokers/ready``: 200 ``{"healthy": "n/m"}`` when every invoker is up, else 500
    ``{"unhealthy": "n/m"}`` (OpenWhisk's readiness check, fraction 100%)."""
    health = controller(request).invoker_health
    states = health() if health else {}
    up, total = sum(1 for state in states.values() if state == "up"), len(states)
    if total and up == total:
        return json_response({"healthy": f"{up}/{total}"})
    return json_response({"unhealthy": f"{up}/{total}"}, status=500)


def document_bounds(ctl: Controller) -> DocumentBounds:
    """What the served document states: the code kinds a PUT may name (each runtime that is
    neither deprecated nor in need of a ``main``, and ``<family>:default``) and the system's
    limit ranges."""
    runtimes = [k for k in ctl.manifest.kinds.values() if not k.deprecated and not k.require_main]
    families = sorted({k.family for k in runtimes})
    kinds = [*(k.kind for k in runtimes), *(f"{f}:default" for f in families)]
    settings = ctl.settings
    return DocumentBounds(
        kinds=tuple(kinds),
        ranges=settings.system_limits.ranges,
        max_blocking_wait_ms=settings.max_blocking_wait_ms,
        list_max_limit=settings.list_max_limit,
    )


async def api_docs(request: web.Request) -> web.Response:
    """The document; asked for with a valid key, its namespace parameters name the namespaces
    that key may use (``_`` and its own), so what a client generates from it is entitled. The
    route stays open: without a key (or with a bad one) the parameter is any namespace name."""
    doc = openapi_document(whisk.__version__, document_bounds(controller(request)))
    try:
        who = await request.app[AUTH_KEY].optional(request)
    except WhiskError:
        who = None
    return json_response(doc if who is None else for_namespace(doc, who.namespace))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", root_info)
    app.router.add_get("/api/v1", api_info)
    app.router.add_get("/api/v1/", api_info)
    app.router.add_get("/ping", ping)
    app.router.add_get("/invokers", invokers)
    app.router.add_get("/invokers/healthy/count", healthy_count)
    app.router.add_get("/invokers/ready", ready)
    app.router.add_get("/api/v1/api-docs", api_docs)
