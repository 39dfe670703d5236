"""``/namespaces/{ns}/rules``: list, get (with status), create/update, enable/disable, delete.

A rule's status lives on its trigger (``trigger.rules``), so every write that changes the link
writes the rule and the trigger(s) in one atomic commit.
"""

from __future__ import annotations

from aiohttp import web

from controller.api.auth import require_own
from controller.api.http import controller, identity, json_response, read_json
from controller.api.query import parse_bool, parse_page
from controller.entities import existing_for_put, find, key_of, load, put_of
from controller.resolve import resolve_action
from whisk.entities import messages as ow
from whisk.entities.names import FullyQualifiedName
from whisk.entities.rule import Rule
from whisk.entities.trigger import ReducedRule, RuleStatus
from whisk.errors import Forbidden, InvalidArgument, NotFound, WrongCollection
from whisk.store.ports import Collection, Delete, Write

COLLECTION = "rules"


def _fqn(request: web.Request, namespace: str) -> FullyQualifiedName:
    return FullyQualifiedName(namespace, request.match_info["name"])


async def _status(request: web.Request, rule: Rule) -> RuleStatus:
    trigger = await find(controller(request).store, Collection.TRIGGERS, rule.trigger)
    link = trigger.entity.rules.get(rule.key) if trigger else None
    return link.status if link else RuleStatus.INACTIVE


async def list_rules(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    namespace = require_own(who, request.match_info["ns"])
    page = parse_page(
        request.query, COLLECTION, ctl.settings.list_default_limit, ctl.settings.list_max_limit
    )
    if page.count:
        return json_response({COLLECTION: await ctl.store.count(namespace, Collection.RULES)})
    stored = await ctl.store.list(namespace, Collection.RULES, skip=page.skip, limit=page.limit)
    return json_response([Rule.from_stored(s.doc, s.updated).summary_json() for s in stored])


async def get_rule(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    rule = (await load(ctl.store, Collection.RULES, fqn)).entity
    return json_response(rule.to_json(await _status(request, rule)))


async def put_rule(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    overwrite = parse_bool(request.query, "overwrite")
    body = await read_json(request)
    previous = await existing_for_put(ctl.store, Collection.RULES, fqn, overwrite)
    old: Rule | None = previous.entity if previous else None
    rule = Rule.from_put(fqn, body, ctl.rules_for(who), old)
    if rule.trigger.namespace != who.namespace:
        raise Forbidden()
    trigger = await find(ctl.store, Collection.TRIGGERS, rule.trigger)
    if trigger is None:
        raise InvalidArgument(ow.entity_does_not_exist("trigger", str(rule.trigger)))
    try:
        await resolve_action(ctl.store, who, rule.action)
    except (NotFound, WrongCollection):
        raise InvalidArgument(ow.entity_does_not_exist("action", str(rule.action))) from None
    writes: list[Write] = [put_of(Collection.RULES, rule, previous)]
    status = RuleStatus.ACTIVE
    if old is not None and old.trigger != rule.trigger:
        old_trigger = await find(ctl.store, Collection.TRIGGERS, old.trigger)
        if old_trigger is not None and rule.key in old_trigger.entity.rules:
            writes.append(
                put_of(Collection.TRIGGERS, old_trigger.entity.without_rule(rule.key), old_trigger)
            )
    elif old is not None:
        link = trigger.entity.rules.get(rule.key)
        status = link.status if link else RuleStatus.ACTIVE
    linked = trigger.entity.with_rule(rule.key, ReducedRule(rule.action, status))
    writes.append(put_of(Collection.TRIGGERS, linked, trigger))
    stored = await ctl.store.commit(writes)
    saved = Rule.from_stored(stored[0].doc, stored[0].updated)
    return json_response(saved.to_json(status))


async def set_rule_status(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    body = await read_json(request) or {}
    if not isinstance(body, dict):
        raise InvalidArgument("The request content was malformed: expected a JSON object.")
    wanted = RuleStatus.parse(body.get("status"))
    rule = (await load(ctl.store, Collection.RULES, fqn)).entity
    trigger = await find(ctl.store, Collection.TRIGGERS, rule.trigger)
    if trigger is None:
        raise NotFound("Only rules with existing triggers can be activated")
    link = trigger.entity.rules.get(rule.key)
    if link is None or link.status != wanted:
        updated = trigger.entity.with_rule(rule.key, ReducedRule(rule.action, wanted))
        await ctl.store.put(put_of(Collection.TRIGGERS, updated, trigger))
    return web.Response(status=200)


async def delete_rule(request: web.Request) -> web.Response:
    ctl, who = controller(request), await identity(request)
    fqn = _fqn(request, require_own(who, request.match_info["ns"]))
    loaded = await load(ctl.store, Collection.RULES, fqn)
    rule: Rule = loaded.entity
    writes: list[Write] = [Delete(key_of(fqn), loaded.revision)]
    trigger = await find(ctl.store, Collection.TRIGGERS, rule.trigger)
    if trigger is not None and rule.key in trigger.entity.rules:
        writes.append(put_of(Collection.TRIGGERS, trigger.entity.without_rule(rule.key), trigger))
    await ctl.store.commit(writes)
    return json_response(rule.to_json(RuleStatus.INACTIVE))


def add_routes(app: web.Application) -> None:
    base = "/api/v1/namespaces/{ns}/rules"
    app.router.add_get(base, list_rules)
    app.router.add_get(base + "/", list_rules)
    path = base + "/{name}"
    app.router.add_get(path, get_rule)
    app.router.add_put(path, put_rule)
    app.router.add_post(path, set_rule_status)
    app.router.add_delete(path, delete_rule)
