"""Builds the controller's aiohttp application from a ``Controller``."""

from __future__ import annotations

from aiohttp import web

from controller.api import actions, activations, info, namespaces, packages, rules, triggers
from controller.api import feeds as feed_api  # catalog feed actions, the feed service
from controller.api import gateway as api_gateway  # apimgmt web actions, the API gateway
from controller.api import metrics as metrics_api
from controller.api import web as web_actions
from controller.api.auth import Authenticator
from controller.api.http import AUTH_KEY, CONTROLLER_KEY, METRICS_KEY
from controller.api.middleware import cors_middleware, error_middleware, transaction_middleware
from controller.context import Controller
from whisk.metrics import Metrics


def build_app(ctl: Controller, metrics: Metrics | None = None) -> web.Application:
    """``metrics``: this process's figures, served on ``GET /metrics`` (a fresh set when
    ``None``; standalone passes the one its invoker records into)."""
    metrics = metrics or Metrics(recording=ctl.settings.metrics)
    counting = [metrics_api.metrics_middleware] if metrics.recording else []
    app = web.Application(
        middlewares=[*counting, transaction_middleware, cors_middleware, error_middleware],
        client_max_size=ctl.settings.max_request_bytes,
    )
    app[CONTROLLER_KEY] = ctl
    app[AUTH_KEY] = Authenticator(ctl.store, ctl.settings.identity_cache_seconds)
    app[METRICS_KEY] = metrics
    for module in (info, namespaces, actions, packages, triggers, rules, activations, web_actions):
        module.add_routes(app)
    feed_api.add_routes(app)
    metrics_api.add_routes(app)
    api_gateway.add_routes(app)
    return app
