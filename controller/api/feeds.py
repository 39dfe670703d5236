"""Feeds on the API: the lifecycle of the catalog's feed actions.

- ``POST /api/v1/namespaces/whisk.system/actions/{alarms|messaging}/{feed}``: an invocation of
  one of the catalog's feed actions is answered here, by the controller, instead of running the
  action in a container (action containers have no network, and the feed service is this
  controller's). These static routes win over the generic action routes (aiohttp resolves the
  most explicit path first); every other method on them falls through to the generic ones.
  The answer is an ordinary activation (record stored, blocking or not).
- ``POST /api/v1/feeds/{provider}/{feed}``: the same lifecycle, for the feed action's own code
  when it does run somewhere with a network (Basic credentials = the client's ``authKey``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from controller.api.actions import render_outcome
from controller.api.http import controller, identity, json_response, read_json
from controller.api.query import parse_bool
from controller.catalog.definitions import KIND, SYSTEM_NAMESPACE
from controller.feeds.lifecycle import FEEDS, FeedLifecycle, owner_of, provider_of
from controller.invocation import now_ms, record_of
from controller.requests import InvokeOutcome
from controller.resolve import resolve_action
from whisk.entities.activation import (
    Activation,
    ActivationId,
    annotation,
    application_error,
    success,
)
from whisk.entities.names import FullyQualifiedName
from whisk.errors import InvalidArgument, NotFound, WhiskError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _params(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidArgument("The request content was not a JSON object.")
    return body


def feed_action_handler(package: str, feed: str) -> Handler:
    provider = FEEDS[(package, feed)]

    async def invoke_feed(request: web.Request) -> web.StreamResponse:
        ctl, who = controller(request), await identity(request)
        resolved = await resolve_action(
            ctl.store, who, FullyQualifiedName(SYSTEM_NAMESPACE, feed, package)
        )
        given = _params(await read_json(request))
        # the feed runs here, in the controller: its parameters are decrypted here
        own = ctl.settings.parameter_encryption.unlock(resolved.parameters.without(given))
        params = {**own.as_dict(), **given}
        start = now_ms()
        try:
            owner = await owner_of(ctl.store, params.get("authKey"))
            lifecycle = FeedLifecycle(ctl.store, ctl.persistence.feeds)
            response = success(await lifecycle.handle(provider, feed, params, owner))
        except WhiskError as exc:
            response = application_error(exc.message)
        record = Activation(
            namespace=who.namespace,
            name=feed,
            version=str(resolved.action.version),
            subject=who.subject,
            activation_id=ActivationId.new(),
            start=start,
            end=now_ms(),
            response=response,
            annotations=[
                annotation("path", f"{SYSTEM_NAMESPACE}/{package}/{feed}"),
                annotation("kind", KIND),
                annotation("limits", resolved.action.limits.to_json()),
            ],
        )
        await ctl.store.put_activation(record_of(record, package))
        blocking = parse_bool(request.query, "blocking")
        outcome = InvokeOutcome(str(record.activation_id), record if blocking else None)
        return render_outcome(outcome, parse_bool(request.query, "result"))

    return invoke_feed


async def feed_service(request: web.Request) -> web.Response:
    ctl, owner = controller(request), await identity(request)
    package, feed = request.match_info["package"], request.match_info["feed"]
    provider = provider_of(package, feed)
    if provider is None:
        raise NotFound(f"There is no feed '{package}/{feed}'.")
    params = _params(await read_json(request))
    result = await FeedLifecycle(ctl.store, ctl.persistence.feeds).handle(
        provider, feed, params, owner
    )
    return json_response(result)


def add_routes(app: web.Application) -> None:
    for package, feed in FEEDS:
        app.router.add_post(
            f"/api/v1/namespaces/{SYSTEM_NAMESPACE}/actions/{package}/{feed}",
            feed_action_handler(package, feed),
        )
    app.router.add_post("/api/v1/feeds/{package}/{feed}", feed_service)
