"""``/namespaces/{ns}/triggers``: list, get, create/update, delete, fire."""

from __future__ import annotations

from aiohttp import web

from controller.api.actions import request_api_key
from controller.api.auth import require_own
from controller.api.http import (
    controller,
    identity,
    json_response,
    read_json,
    read_json_sized,
    tid,
)
from controller.api.query import parse_bool, parse_page
from controller.entities import existing_for_put, key_of, load, save
from controller.invocation import check_payload
from controller.traffic import check_rate_limit_annotation, traffic_key
from whisk.entities.names import FullyQualifiedName
from whisk.entities.trigger import Trigger
from whisk.errors import InvalidArgument, Unavailable
from whisk.store.ports import Collection, Delete

COLLECTION = "triggers"


def _fqn(request: web.Request, namespace: str) -> FullyQualifiedName:
    return FullyQualifiedName(namespace, request.match_info["name"])


async def list_triggers(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    namespace = require_own(who, request.match_info["ns"])
    page = parse_page(
        request.query, COLLECTION, ctl.settings.list_default_limit, ctl.settings.list_max_limit
    )
    if page.count:
        return json_response({COLLECTION: await ctl.store.count(namespace, Collection.TRIGGERS)})
    stored = await ctl.store.list(namespace, Collection.TRIGGERS, skip=page.skip, limit=page.limit)
    return json_response([Trigger.from_stored(s.doc, s.updated).summary_json() for s in stored])


async def get_trigger(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    body = (await load(ctl.store, Collection.TRIGGERS, fqn)).entity.to_json()
    if parse_bool(request.query, "stats"):
        body["stats"] = ctl.traffic.snapshot(traffic_key(fqn))
    return json_response(body)



async def put_trigger(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    overwrite = parse_bool(request.query, "overwrite")
    body = await read_json(request)
    previous = await existing_for_put(ctl.store, Collection.TRIGGERS, fqn, overwrite)
    trigger = Trigger.from_put(fqn, body, ctl.rules_for(who), previous.entity if previous else None)
    problem = check_rate_limit_annotation(trigger.annotations)
    if problem is not None:
        raise InvalidArgument(problem)
    stored = await save(ctl.store, Collection.TRIGGERS, trigger, previous)
    return json_response(stored.to_json())


async def delete_trigger(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    loaded = await load(ctl.store, Collection.TRIGGERS, fqn)
    await ctl.store.delete(Delete(key_of(fqn), loaded.revision))
    return json_response(loaded.entity.to_json())


async def fire_trigger(request: web.Request) -> web.StreamResponse:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    if ctl.firer is None:
        raise Unavailable(
            "Trigger fire is not available: this controller has no invocation path configured."
        )
    limits = ctl.limits_for(who)
    body, size = await read_json_sized(request)
    payload = check_payload(body, limits.max_payload_bytes, size)
    trigger = (await load(ctl.store, Collection.TRIGGERS, fqn)).entity
    key = traffic_key(fqn)
    await ctl.traffic.admit("trigger", key, trigger.annotations)  # counts its own 429s
    with ctl.traffic.counting(key):
        activation_id = await ctl.firer.fire(
            who, limits, trigger, payload, tid=tid(request), api_key=request_api_key(request)
        )
    if activation_id is None:
        return web.Response(status=204)
    return json_response({"activationId": activation_id}, 202)


def add_routes(app: web.Application) -> None:
    base = "/api/v1/namespaces/{ns}/triggers"
    app.router.add_get(base, list_triggers)
    app.router.add_get(base + "/", list_triggers)
    path = base + "/{name}"
    app.router.add_get(path, get_trigger)
    app.router.add_put(path, put_trigger)
    app.router.add_delete(path, delete_trigger)
    app.router.add_post(path, fire_trigger)
